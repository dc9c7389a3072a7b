import { ApiError } from "@latchflow/api/client";
import { ErrorCode } from "@latchflow/api/errors";
import { m } from "#lib/paraglide/messages.js";
import { formatDuration } from "./format.js";

/** Seconds until a rate-limited request may be tried again, when the error is one. */
export function retryAfterMs(err: unknown): number | undefined {
  if (!(err instanceof ApiError) || err.code !== ErrorCode.RateLimited) return undefined;
  const s = Number(err.details.retryAfterSeconds);
  return Number.isFinite(s) ? s * 1000 : 60_000;
}

/** The sentence for an error no page handles itself: offline, rate limited, or a server fault with its reference. */
export function genericMessage(err: unknown): string {
  const wait = retryAfterMs(err);
  if (wait !== undefined) return m.rate_limited({ time: formatDuration(wait) });
  if (err instanceof ApiError) return m.error_generic({ requestId: err.requestId || "—" });
  return m.error_offline();
}

export function isUnauthenticated(err: unknown): boolean {
  return err instanceof ApiError && err.status === 401;
}
