import { ApiError } from "@latchflow/api/client";
import { ErrorCode } from "@latchflow/api/errors";

/** The sentence for an error no page handles itself: offline, rate limited, refused, or a server fault. */
export function genericMessage(err: unknown): string {
  if (!(err instanceof ApiError))
    return "The server could not be reached. Check your connection and try again.";
  if (err.code === ErrorCode.RateLimited) {
    const s = Number(err.details.retryAfterSeconds);
    return `Too many attempts. Try again in ${Number.isFinite(s) ? Math.max(1, Math.ceil(s)) : 60} seconds.`;
  }
  if (err.code === ErrorCode.PermissionDenied) return `You may not do this: ${err.message}`;
  if (err.status < 500) return err.message;
  return `Something went wrong on the server (reference ${err.requestId || "—"}).`;
}

export function isUnauthenticated(err: unknown): boolean {
  return err instanceof ApiError && err.status === 401;
}

/** The message the server gave for one field of a refused body (422 `issues`), if any. */
export function fieldError(err: unknown, field: string): string | undefined {
  if (!(err instanceof ApiError) || err.code !== ErrorCode.ValidationFailed) return undefined;
  const issues = Array.isArray(err.details.issues) ? err.details.issues : [];
  const issue = issues.find((i: { path?: unknown }) => i?.path === field) as { message?: string } | undefined;
  return issue?.message;
}
