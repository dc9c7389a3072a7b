import type { auditV1, authV1, bundlesV1, pipelinesV1, pluginsV1, storageV1 } from "@latchflow/proto";
import type { GrpcClient } from "@latchflow/runtime";

/** The gRPC clients the gateway calls (promise-returning, context-aware; see runtime's createClient). */
export interface GatewayClients {
  auth: GrpcClient<typeof authV1.AuthServiceService, authV1.AuthServiceClient>;
  bundles: GrpcClient<typeof bundlesV1.BundlesServiceService, bundlesV1.BundlesServiceClient>;
  audit: GrpcClient<typeof auditV1.AuditServiceService, auditV1.AuditServiceClient>;
  /** blob bytes flow through the gateway straight to and from storage (never through another service) */
  storage: GrpcClient<typeof storageV1.StorageServiceService, storageV1.StorageServiceClient>;
  /** host of the storage service, where its HTTP byte plane listens (ADR 036) */
  storageHost: string;
  /** pipelines live in the kernel */
  pipelines: GrpcClient<typeof pipelinesV1.PipelinesServiceService, pipelinesV1.PipelinesServiceClient>;
  /** installed plugins, capabilities and plugin secrets live in the kernel too */
  plugins: GrpcClient<typeof pluginsV1.PluginsServiceService, pluginsV1.PluginsServiceClient>;
}

/** A dependency /readyz checks; resolves when ready, throws (with a short reason) when not. */
export type ReadinessCheck = () => Promise<void>;
