import type { auditV1, authV1, bundlesV1 } from "@latchflow/proto";
import type { RequestContext } from "@latchflow/runtime";

type Call<Req, Res> = (request: Req, ctx: RequestContext) => Promise<Res>;

/** The gRPC APIs the gateway calls, as promise-returning functions (see runtime's client helpers). */
export interface GatewayClients {
  auth: { authenticate: Call<authV1.AuthenticateRequest, authV1.Identity> };
  bundles: {
    createBundle: Call<bundlesV1.CreateBundleRequest, bundlesV1.Bundle>;
    getBundle: Call<bundlesV1.GetBundleRequest, bundlesV1.Bundle>;
    listBundles: Call<bundlesV1.ListBundlesRequest, bundlesV1.ListBundlesResponse>;
  };
  audit: { listEvents: Call<auditV1.ListEventsRequest, auditV1.ListEventsResponse> };
}

/** A dependency /readyz checks; resolves when ready, throws (with a short reason) when not. */
export type ReadinessCheck = () => Promise<void>;
