/**
 * @latchflow/proto — the gRPC contracts of Latchflow and their generated TypeScript (ts-proto, grpc-js).
 *
 * One namespace per proto package, because generated names (e.g. `DeepPartial`, `MessageFns`) clash:
 *   import { bundlesV1 } from "@latchflow/proto";
 *   const client = new bundlesV1.BundlesServiceClient(address, credentials);
 * Each namespace holds the message types + codecs, `<Name>ServiceService` (the grpc-js service definition),
 * `<Name>ServiceServer` (the raw handler interface) and `<Name>ServiceClient` (the client constructor).
 * Services use these through @latchflow/runtime's gRPC helpers rather than directly.
 */

export * as auditV1 from "./gen/latchflow/audit/v1/audit.js";
export * as authV1 from "./gen/latchflow/auth/v1/auth.js";
export * as bundlesV1 from "./gen/latchflow/bundles/v1/bundles.js";
export * as commonV1 from "./gen/latchflow/common/v1/common.js";
export * as pipelinesV1 from "./gen/latchflow/pipelines/v1/pipelines.js";
export * as pluginsV1 from "./gen/latchflow/plugins/v1/plugins.js";
/** The standard grpc.health.v1 protocol. */
export { healthV1 } from "./health.js";
export { storageV1 } from "./storage.js";
