import { ErrorBody } from "./common.js";
import type { Operation, ResponseSpec } from "./operation.js";

/** An error answer the gateway itself can give, whatever the handler does; `name` is its OpenAPI component. */
export interface StandardResponse extends ResponseSpec {
  name: string;
  schema: typeof ErrorBody;
}

const standard = (name: string, description: string): StandardResponse => ({
  name,
  description,
  schema: ErrorBody,
});

const BAD_REQUEST = standard("BadRequest", "Malformed request body (e.g. invalid JSON)");
const UNAUTHENTICATED = standard(
  "Unauthenticated",
  "Missing, malformed, unknown, revoked or expired credentials",
);
const PERMISSION_DENIED = standard(
  "PermissionDenied",
  "The caller may not do this (scope, grant, or a missing CSRF token with a session cookie)",
);
const PAYLOAD_TOO_LARGE = standard("PayloadTooLarge", "Request body over the configured limit");
const UNSUPPORTED_MEDIA_TYPE = standard(
  "UnsupportedMediaType",
  "Request body of a type the operation does not take",
);
const VALIDATION_FAILED = standard(
  "ValidationFailed",
  "The path, query or body does not match its schema, holds a NUL character or nests too deep",
);
const RATE_LIMITED = standard("RateLimited", "Too many requests from this IP or identity; see Retry-After");
const INTERNAL = standard("Internal", "Unexpected failure: a generic message and the request id");
const UNAVAILABLE = standard("Unavailable", "A service this operation needs is unavailable; retry later");
const DEADLINE_EXCEEDED = standard(
  "DeadlineExceeded",
  "A service this operation needs did not answer in time",
);

/** Methods whose body the gateway parses (malformed or oversized bodies are refused before any route runs). */
const BODY_METHODS = new Set(["post", "put", "patch"]);

/**
 * The error answers the gateway can give for an operation on top of what its handler declares, derived from
 * how the gateway serves it: body parsing, authentication, input limits, rate limits, failures. The one place
 * they are listed: the OpenAPI document and the gateway's response check both read them from here.
 */
export function standardResponsesOf(op: Operation): Record<number, StandardResponse> {
  const out: Record<number, StandardResponse> = {};
  const parsesBody = BODY_METHODS.has(op.method);
  if (parsesBody) out[400] = BAD_REQUEST;
  if (op.access.kind !== "public") {
    out[401] = UNAUTHENTICATED;
    out[403] = PERMISSION_DENIED;
  }
  if (parsesBody || op.body || op.bodyTypes) out[413] = PAYLOAD_TOO_LARGE;
  if (op.body || op.bodyTypes) out[415] = UNSUPPORTED_MEDIA_TYPE;
  out[422] = VALIDATION_FAILED;
  if (op.rateLimited) out[429] = RATE_LIMITED;
  out[500] = INTERNAL;
  out[503] = UNAVAILABLE;
  out[504] = DEADLINE_EXCEEDED;
  return out;
}

/** Every answer an operation can give: the standard ones, overridden by what the operation declares. */
export function responsesOf(op: Operation): Record<number, ResponseSpec> {
  return { ...standardResponsesOf(op), ...op.responses };
}
