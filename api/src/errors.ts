/**
 * Stable error codes shared by every service, the gateway, the CLI, the apps and plugins.
 * Errors crossing a process boundary are recognised by this code, never by `instanceof`.
 */
export const ErrorCode = {
  BadRequest: "bad_request",
  ValidationFailed: "validation_failed",
  Unauthenticated: "unauthenticated",
  PermissionDenied: "permission_denied",
  NotFound: "not_found",
  Conflict: "conflict",
  PayloadTooLarge: "payload_too_large",
  UnsupportedMediaType: "unsupported_media_type",
  /** a `Range` header that asks for bytes the representation does not have (`Content-Range: bytes *\/size`) */
  RangeNotSatisfiable: "range_not_satisfiable",
  RateLimited: "rate_limited",
  Unavailable: "unavailable",
  DeadlineExceeded: "deadline_exceeded",
  Unimplemented: "unimplemented",
  MethodNotAllowed: "method_not_allowed",
  /** stored data failed its integrity check (tampered or truncated ciphertext); never served */
  IntegrityFailed: "integrity_failed",
  /** a pipeline names a capability that is not installed or not enabled */
  CapabilityUnavailable: "capability_unavailable",
  Internal: "internal",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The HTTP half of the one error table (the gRPC half is in @latchflow/runtime, keyed by the same codes). */
export const ERROR_HTTP: Readonly<Record<ErrorCode, { http: number; retryable: boolean }>> = {
  bad_request: { http: 400, retryable: false },
  validation_failed: { http: 422, retryable: false },
  unauthenticated: { http: 401, retryable: false },
  permission_denied: { http: 403, retryable: false },
  not_found: { http: 404, retryable: false },
  conflict: { http: 409, retryable: false },
  payload_too_large: { http: 413, retryable: false },
  unsupported_media_type: { http: 415, retryable: false },
  range_not_satisfiable: { http: 416, retryable: false },
  rate_limited: { http: 429, retryable: true },
  unavailable: { http: 503, retryable: true },
  deadline_exceeded: { http: 504, retryable: true },
  unimplemented: { http: 501, retryable: false },
  method_not_allowed: { http: 405, retryable: false },
  integrity_failed: { http: 500, retryable: false },
  capability_unavailable: { http: 409, retryable: false },
  internal: { http: 500, retryable: false },
};

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && KNOWN_CODES.has(value);
}
