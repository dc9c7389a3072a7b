import { ApiError } from "@latchflow/api/client";
import { DownloadRefusal } from "@latchflow/api/reasons";
import { m } from "#lib/paraglide/messages.js";
import { formatDate, formatDuration } from "./format.js";

/** What stops a download, from a refusal's `details`: the reason and, when the server says, when it changes. */
export interface Refusal {
  reason: DownloadRefusal;
  /** when the download becomes possible (cooldown, window not open, passphrase lock) */
  at?: Date;
}

const REASONS = new Set<string>(Object.values(DownloadRefusal));

/** The refusal an API error carries, or undefined for other errors. */
export function refusalOf(err: unknown, now = Date.now()): Refusal | undefined {
  if (!(err instanceof ApiError)) return undefined;
  const reason = err.details.reason;
  if (typeof reason !== "string" || !REASONS.has(reason)) return undefined;
  const at =
    typeof err.details.availableAt === "string"
      ? new Date(err.details.availableAt)
      : typeof err.details.opensAt === "string"
        ? new Date(err.details.opensAt)
        : retryAfter(err, now);
  return { reason: reason as DownloadRefusal, ...(at ? { at } : {}) };
}

function retryAfter(err: ApiError, now: number): Date | undefined {
  const seconds = Number(err.details.retryAfterSeconds ?? Number.NaN);
  return Number.isFinite(seconds) ? new Date(now + seconds * 1000) : undefined;
}

/** One message per reason; the compiler fails here when the contract adds a reason. */
const MESSAGES: Record<DownloadRefusal, (r: Refusal, now: number) => string> = {
  assignment_disabled: () => m.refusal_assignment_disabled(),
  bundle_disabled: () => m.refusal_bundle_disabled(),
  bundle_empty: () => m.refusal_bundle_empty(),
  download_limit_reached: () => m.refusal_download_limit_reached(),
  cooldown: (r, now) => m.refusal_cooldown({ time: formatDuration((r.at?.getTime() ?? now) - now) }),
  window_not_open: (r) => m.refusal_window_not_open({ date: r.at ? formatDate(r.at) : "" }),
  window_closed: () => m.refusal_window_closed(),
  passphrase_required: () => m.refusal_passphrase_required(),
  passphrase_invalid: () => m.refusal_passphrase_invalid(),
  passphrase_locked: (r, now) =>
    m.refusal_passphrase_locked({ time: formatDuration((r.at?.getTime() ?? now) - now) }),
  acknowledgement_required: () => m.refusal_acknowledgement_required(),
  assignment_deleted: () => m.refusal_assignment_deleted(),
  grant_exhausted: () => m.refusal_grant_exhausted(),
  grant_other_session: () => m.refusal_grant_other_session(),
  link_used_up: () => m.refusal_link_used_up(),
  link_invalid: () => m.refusal_link_invalid(),
};

/** The sentence shown for a refusal, in the current locale. */
export function refusalMessage(refusal: Refusal, now = Date.now()): string {
  return MESSAGES[refusal.reason](refusal, now);
}
