// One contract's own entry point: a process that needs only it does not load the others' generated code (ADR 070).
/** The standard grpc.health.v1 protocol. */
export * as healthV1 from "./gen/grpc/health/v1/health.js";
