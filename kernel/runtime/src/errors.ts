import { status as GrpcStatus } from "@grpc/grpc-js";

/**
 * Stable error codes shared by every service, the gateway, the CLI and plugins.
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

interface ErrorMapping {
  grpc: GrpcStatus;
  http: number;
  retryable: boolean;
}

/** The one table: error code → gRPC status → HTTP status (+ whether a retry may succeed). */
export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorMapping>> = {
  bad_request: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400, retryable: false },
  validation_failed: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 422, retryable: false },
  unauthenticated: { grpc: GrpcStatus.UNAUTHENTICATED, http: 401, retryable: false },
  permission_denied: { grpc: GrpcStatus.PERMISSION_DENIED, http: 403, retryable: false },
  not_found: { grpc: GrpcStatus.NOT_FOUND, http: 404, retryable: false },
  conflict: { grpc: GrpcStatus.ALREADY_EXISTS, http: 409, retryable: false },
  payload_too_large: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, http: 413, retryable: false },
  unsupported_media_type: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 415, retryable: false },
  rate_limited: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, http: 429, retryable: true },
  unavailable: { grpc: GrpcStatus.UNAVAILABLE, http: 503, retryable: true },
  deadline_exceeded: { grpc: GrpcStatus.DEADLINE_EXCEEDED, http: 504, retryable: true },
  unimplemented: { grpc: GrpcStatus.UNIMPLEMENTED, http: 501, retryable: false },
  method_not_allowed: { grpc: GrpcStatus.UNIMPLEMENTED, http: 405, retryable: false },
  integrity_failed: { grpc: GrpcStatus.DATA_LOSS, http: 500, retryable: false },
  capability_unavailable: { grpc: GrpcStatus.FAILED_PRECONDITION, http: 409, retryable: false },
  internal: { grpc: GrpcStatus.INTERNAL, http: 500, retryable: false },
};

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && KNOWN_CODES.has(value);
}

/** Fallback when a gRPC status arrives without our code in its metadata (e.g. a transport failure). */
export function errorCodeFromGrpcStatus(code: GrpcStatus): ErrorCode {
  switch (code) {
    case GrpcStatus.INVALID_ARGUMENT:
      return ErrorCode.BadRequest;
    case GrpcStatus.UNAUTHENTICATED:
      return ErrorCode.Unauthenticated;
    case GrpcStatus.PERMISSION_DENIED:
      return ErrorCode.PermissionDenied;
    case GrpcStatus.NOT_FOUND:
      return ErrorCode.NotFound;
    case GrpcStatus.ALREADY_EXISTS:
      return ErrorCode.Conflict;
    case GrpcStatus.RESOURCE_EXHAUSTED:
      // without our code it is the transport refusing a message over its size limit, not a rate limit
      return ErrorCode.PayloadTooLarge;
    case GrpcStatus.UNAVAILABLE:
      return ErrorCode.Unavailable;
    case GrpcStatus.DEADLINE_EXCEEDED:
      return ErrorCode.DeadlineExceeded;
    case GrpcStatus.UNIMPLEMENTED:
      return ErrorCode.Unimplemented;
    case GrpcStatus.DATA_LOSS:
      return ErrorCode.IntegrityFailed;
    default:
      return ErrorCode.Internal;
  }
}

export interface LatchflowErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Overrides the table's default retryability. */
  retryable?: boolean;
}

/** The one error class of the platform. `message` is safe to show to the caller; never put secrets in it. */
export class LatchflowError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: LatchflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LatchflowError";
    this.code = code;
    this.details = options.details;
    this.retryable = options.retryable ?? ERROR_TABLE[code].retryable;
  }

  get httpStatus(): number {
    return ERROR_TABLE[this.code].http;
  }

  get grpcStatus(): GrpcStatus {
    return ERROR_TABLE[this.code].grpc;
  }
}

/** Recognise a LatchflowError by shape (works across package copies, isolates and processes). */
export function isLatchflowError(err: unknown): err is LatchflowError {
  return (
    typeof err === "object" && err !== null && "code" in err && isErrorCode((err as { code: unknown }).code)
  );
}

/** Anything that is not a LatchflowError becomes a generic internal error; the original stays as `cause`. */
export function toLatchflowError(err: unknown): LatchflowError {
  if (err instanceof LatchflowError) return err;
  if (isLatchflowError(err)) {
    const e = err as { code: ErrorCode; message?: string; details?: Record<string, unknown> };
    return new LatchflowError(e.code, e.message ?? e.code, { details: e.details, cause: err });
  }
  return new LatchflowError(ErrorCode.Internal, "Internal error", { cause: err });
}

export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new LatchflowError(ErrorCode.BadRequest, message, { details });
export const validationFailed = (message: string, details?: Record<string, unknown>) =>
  new LatchflowError(ErrorCode.ValidationFailed, message, { details });
export const notFound = (message: string, details?: Record<string, unknown>) =>
  new LatchflowError(ErrorCode.NotFound, message, { details });
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new LatchflowError(ErrorCode.Conflict, message, { details });
export const unauthenticated = (message = "Authentication required") =>
  new LatchflowError(ErrorCode.Unauthenticated, message);
export const permissionDenied = (message = "Permission denied", details?: Record<string, unknown>) =>
  new LatchflowError(ErrorCode.PermissionDenied, message, { details });
