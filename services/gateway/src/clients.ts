import type { auditV1, authV1, bundlesV1 } from "@latchflow/proto";
import type { GrpcClient } from "@latchflow/runtime";

/** The gRPC clients the gateway calls (promise-returning, context-aware; see runtime's createClient). */
export interface GatewayClients {
  auth: GrpcClient<typeof authV1.AuthServiceService, authV1.AuthServiceClient>;
  bundles: GrpcClient<typeof bundlesV1.BundlesServiceService, bundlesV1.BundlesServiceClient>;
  audit: GrpcClient<typeof auditV1.AuditServiceService, auditV1.AuditServiceClient>;
}

/** A dependency /readyz checks; resolves when ready, throws (with a short reason) when not. */
export type ReadinessCheck = () => Promise<void>;
