/** Header carrying the envelope's request id, for log correlation without decoding the payload. */
export const REQUEST_ID_HEADER = "lf-request-id";
/** Header carrying the envelope's W3C trace context (the standard name, so other NATS tooling sees it). */
export const TRACEPARENT_HEADER = "traceparent";
