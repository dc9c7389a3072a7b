// The NATS JetStream bus and its stream helpers, a subpath of its own (`@latchflow/bus/nats`): the NATS client
// is loaded only by a process that uses it, not by the embedded server on the in-process bus (ADR 077).
export { DUPLICATE_WINDOW_MS, deleteStream, ensureStream, type StreamSettings } from "./nats/stream.js";
export { createNatsBus, type NatsBusOptions, REQUEST_ID_HEADER, TRACEPARENT_HEADER } from "./nats-bus.js";
