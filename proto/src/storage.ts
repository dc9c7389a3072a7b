// One contract's own entry point: a process that needs only it does not load the others' generated code (ADR 070).
export * as storageV1 from "./gen/latchflow/storage/v1/storage.js";
