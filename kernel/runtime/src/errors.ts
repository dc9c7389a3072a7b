import { status as GrpcStatus } from "@grpc/grpc-js";
// the contract's entry point for error codes, not its index: a backend never loads the REST schemas (ADR 070)
import { ERROR_HTTP, ErrorCode, isErrorCode } from "@latchflow/api/errors";

export { ErrorCode, isErrorCode };

interface ErrorMapping {
  grpc: GrpcStatus;
  http: number;
  retryable: boolean;
}

/** The gRPC half of the one error table; the HTTP half (status, retryable) is in @latchflow/api. */
const GRPC_OF: Readonly<Record<ErrorCode, GrpcStatus>> = {
  bad_request: GrpcStatus.INVALID_ARGUMENT,
  validation_failed: GrpcStatus.INVALID_ARGUMENT,
  unauthenticated: GrpcStatus.UNAUTHENTICATED,
  permission_denied: GrpcStatus.PERMISSION_DENIED,
  not_found: GrpcStatus.NOT_FOUND,
  conflict: GrpcStatus.ALREADY_EXISTS,
  payload_too_large: GrpcStatus.RESOURCE_EXHAUSTED,
  unsupported_media_type: GrpcStatus.INVALID_ARGUMENT,
  range_not_satisfiable: GrpcStatus.OUT_OF_RANGE,
  rate_limited: GrpcStatus.RESOURCE_EXHAUSTED,
  unavailable: GrpcStatus.UNAVAILABLE,
  deadline_exceeded: GrpcStatus.DEADLINE_EXCEEDED,
  unimplemented: GrpcStatus.UNIMPLEMENTED,
  method_not_allowed: GrpcStatus.UNIMPLEMENTED,
  integrity_failed: GrpcStatus.DATA_LOSS,
  capability_unavailable: GrpcStatus.FAILED_PRECONDITION,
  internal: GrpcStatus.INTERNAL,
};

/** The one table: error code → gRPC status → HTTP status (+ whether a retry may succeed). */
export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorMapping>> = Object.fromEntries(
  (Object.keys(ERROR_HTTP) as ErrorCode[]).map((code) => [
    code,
    { grpc: GRPC_OF[code], ...ERROR_HTTP[code] },
  ]),
) as Record<ErrorCode, ErrorMapping>;

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
