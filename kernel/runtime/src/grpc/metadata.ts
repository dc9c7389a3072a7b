import { Metadata } from "@grpc/grpc-js";
import { z } from "zod";
import { type Caller, CallerKind, type ClientInfo, DEFAULT_TENANT, type RequestContext } from "../context.js";
import { ERROR_TABLE, ErrorCode, isErrorCode, LatchflowError } from "../errors.js";

/** gRPC metadata keys of the request context (lowercase, as gRPC requires). */
export const MetadataKey = {
  RequestId: "x-request-id",
  Tenant: "lf-tenant",
  /** JSON of {@link Caller} */
  Caller: "lf-caller",
  /** JSON of {@link ClientInfo} */
  Client: "lf-client",
  /** W3C trace context of the calling span (see tracing.ts) */
  Traceparent: "traceparent",
  Tracestate: "tracestate",
  /** trailer: the stable Latchflow error code */
  ErrorCode: "lf-error-code",
  /** trailer: JSON object of the error's details (only when there are any) */
  ErrorDetails: "lf-error-details",
  /** trailer: "true" | "false" — retryability travels with the error */
  ErrorRetryable: "lf-error-retryable",
} as const;
export type MetadataKey = (typeof MetadataKey)[keyof typeof MetadataKey];

/** Printable ASCII without spaces, as request ids arrive from HTTP headers. */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
/** Same rule as the bus subject builder's tenant segment. */
const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;
const MAX_CALLER_JSON = 4096;

const callerSchema = z.strictObject({
  kind: z.enum(CallerKind),
  id: z.string().min(1).max(256),
  userId: z.string().min(1).max(256).optional(),
  role: z.string().min(1).max(64).optional(),
  scopes: z.array(z.string().min(1).max(128)).max(256).optional(),
  sessionId: z.string().min(1).max(64).optional(),
});

const clientSchema = z.strictObject({
  ip: z.string().min(1).max(64).optional(),
  userAgent: z.string().max(512).optional(),
});

/** Writes a request context into fresh outgoing metadata. The deadline travels as the call's gRPC deadline. */
export function contextToMetadata(ctx: RequestContext): Metadata {
  const md = new Metadata();
  md.set(MetadataKey.RequestId, ctx.requestId);
  md.set(MetadataKey.Tenant, ctx.tenant);
  if (ctx.caller) md.set(MetadataKey.Caller, JSON.stringify(ctx.caller));
  if (ctx.client) md.set(MetadataKey.Client, JSON.stringify(ctx.client));
  return md;
}

function single(md: Metadata, key: string): string | undefined {
  const values = md.get(key);
  if (values.length === 0) return undefined;
  if (values.length > 1) throw badMetadata(key, "must appear once");
  const [value] = values;
  if (typeof value !== "string") throw badMetadata(key, "must be text");
  return value;
}

function badMetadata(key: string, problem: string): LatchflowError {
  return new LatchflowError(ErrorCode.BadRequest, `Invalid request metadata: ${key} ${problem}`, {
    details: { metadata: key },
  });
}

export interface ReadContextOptions {
  /** absolute deadline of the incoming call (epoch ms), if any */
  deadline?: number;
  /** request id to use when the caller sent none (e.g. a fresh ULID) */
  fallbackRequestId: () => string;
}

/**
 * Reads the request context from untrusted incoming metadata.
 * Missing request id → `fallbackRequestId()`; missing tenant → `default`; missing caller → anonymous.
 * Anything malformed throws a `bad_request` LatchflowError (never echoing the bad value).
 */
export function contextFromMetadata(md: Metadata, options: ReadContextOptions): RequestContext {
  const requestId = single(md, MetadataKey.RequestId);
  if (requestId !== undefined && !REQUEST_ID.test(requestId)) {
    throw badMetadata(MetadataKey.RequestId, "must be 1-128 printable characters");
  }
  const tenant = single(md, MetadataKey.Tenant);
  if (tenant !== undefined && !TENANT.test(tenant)) {
    throw badMetadata(MetadataKey.Tenant, "must be a lowercase label");
  }
  const ctx: RequestContext = {
    requestId: requestId ?? options.fallbackRequestId(),
    tenant: tenant ?? DEFAULT_TENANT,
  };
  const callerJson = single(md, MetadataKey.Caller);
  if (callerJson !== undefined) ctx.caller = parseCaller(callerJson);
  const clientJson = single(md, MetadataKey.Client);
  if (clientJson !== undefined) ctx.client = parseClient(clientJson);
  if (options.deadline !== undefined) ctx.deadline = options.deadline;
  return ctx;
}

function parseCaller(json: string): Caller {
  if (json.length > MAX_CALLER_JSON) throw badMetadata(MetadataKey.Caller, "is too long");
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw badMetadata(MetadataKey.Caller, "must be JSON");
  }
  const parsed = callerSchema.safeParse(raw);
  if (!parsed.success) throw badMetadata(MetadataKey.Caller, "has the wrong shape");
  const { kind, id, userId, role, scopes, sessionId } = parsed.data;
  const caller: Caller = { kind, id };
  if (userId !== undefined) caller.userId = userId;
  if (role !== undefined) caller.role = role;
  if (scopes !== undefined) caller.scopes = scopes;
  if (sessionId !== undefined) caller.sessionId = sessionId;
  return caller;
}

function parseClient(json: string): ClientInfo {
  const key = MetadataKey.Client;
  if (json.length > MAX_CALLER_JSON) throw badMetadata(key, "is too long");
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw badMetadata(key, "must be JSON");
  }
  const parsed = clientSchema.safeParse(raw);
  if (!parsed.success) throw badMetadata(key, "has the wrong shape");
  const client: ClientInfo = {};
  if (parsed.data.ip !== undefined) client.ip = parsed.data.ip;
  if (parsed.data.userAgent !== undefined) client.userAgent = parsed.data.userAgent;
  return client;
}

/**
 * JSON with every character outside printable ASCII as a \u escape: metadata values must be printable ASCII,
 * and details may quote names in any script (a bundle called "Família"). JSON.parse reads it back as it was.
 */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Trailing metadata describing a LatchflowError (plus the request id, so clients can quote it). */
export function errorToTrailers(err: LatchflowError, requestId?: string): Metadata {
  const md = new Metadata();
  md.set(MetadataKey.ErrorCode, err.code);
  if (err.details !== undefined) md.set(MetadataKey.ErrorDetails, asciiJson(err.details));
  md.set(MetadataKey.ErrorRetryable, String(err.retryable));
  if (requestId !== undefined) md.set(MetadataKey.RequestId, requestId);
  return md;
}

/** What the error trailers said, when the peer is a Latchflow server; undefined otherwise. */
export interface ErrorTrailers {
  code: ErrorCode;
  details: Record<string, unknown> | undefined;
  retryable: boolean;
}

/** Reads `lf-error-*` trailers. Unknown codes or malformed details are ignored (treated as absent). */
export function errorFromTrailers(md: Metadata | undefined): ErrorTrailers | undefined {
  if (!md) return undefined;
  const [code] = md.get(MetadataKey.ErrorCode);
  if (!isErrorCode(code)) return undefined;
  const [detailsJson] = md.get(MetadataKey.ErrorDetails);
  const [retryable] = md.get(MetadataKey.ErrorRetryable);
  return {
    code,
    details: typeof detailsJson === "string" ? parseDetails(detailsJson) : undefined,
    retryable: retryable === "true" ? true : retryable === "false" ? false : ERROR_TABLE[code].retryable,
  };
}

function parseDetails(json: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // a malformed trailer is not worth failing the call over; the code still arrives
  }
  return undefined;
}
