import { authFailuresTotal, ErrorCode, type LatchflowError } from "@latchflow/runtime";
import type { Context } from "koa";

/** Why the gateway refused a caller, when it knows better than the error code (set before throwing). */
export type AuthFailureReason = "missing_credentials" | "malformed_authorization" | "invalid_credentials";

export function markAuthFailure(koa: Context, reason: AuthFailureReason): void {
  koa.state.authFailure = reason;
}

/** Counts an error response that refused the caller (401, 403, or 429 from a rate limit), by reason. */
export function countAuthFailure(koa: Context, err: LatchflowError): void {
  let reason: string | undefined;
  if (err.code === ErrorCode.Unauthenticated) {
    reason = typeof koa.state.authFailure === "string" ? koa.state.authFailure : "unauthenticated";
  } else if (err.code === ErrorCode.PermissionDenied) {
    const detail = err.details?.reason;
    // known detail reasons only: the label set must stay bounded
    reason = detail === "csrf" || detail === "per_resource_grants_only" ? detail : "permission_denied";
  } else if (err.code === ErrorCode.RateLimited) {
    reason = "rate_limited";
  }
  if (reason) authFailuresTotal.inc({ reason });
}
