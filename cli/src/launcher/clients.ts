import type { GatewayClients, ReadinessCheck } from "@latchflow/gateway";
import { auditV1, authV1, bundlesV1, pipelinesV1, pluginsV1, storageV1 } from "@latchflow/proto";
import { type Config, checkHealth, createClient, HealthCheckResult, type Logger } from "@latchflow/runtime";

type Addresses = Config["addresses"];

/** gRPC clients of every service the gateway calls, plus one readiness check per dependency. */
export function gatewayClients(addresses: Addresses, config: Config, logger: Logger) {
  // the calls are the gateway's: their log lines say service "gateway"
  const options = { deadlineMs: config.grpc.deadlineMs, logger: logger.child({ service: "gateway" }) };
  const auth = createClient(authV1.AuthServiceClient, addresses.auth, options);
  const bundles = createClient(bundlesV1.BundlesServiceClient, addresses.bundles, options);
  const audit = createClient(auditV1.AuditServiceClient, addresses.audit, options);
  const storage = createClient(storageV1.StorageServiceClient, addresses.storage, options);
  const pipelines = createClient(pipelinesV1.PipelinesServiceClient, addresses.kernel, options);
  const plugins = createClient(pluginsV1.PluginsServiceClient, addresses.kernel, options);
  const storageHost = hostOf(addresses.storage);
  const clients: GatewayClients = { auth, bundles, audit, storage, storageHost, pipelines, plugins };
  const readiness: Record<string, ReadinessCheck> = {};
  for (const [name, address] of Object.entries(addresses)) {
    readiness[name] = async () => {
      const result = await checkHealth(address);
      if (result !== HealthCheckResult.Serving) throw new Error(result.toLowerCase());
    };
  }
  return {
    clients,
    readiness,
    close: () => {
      for (const c of [auth, bundles, audit, storage, pipelines, plugins]) c.$close();
    },
  };
}

/** The host of a `host:port` (or `[v6]:port`) address, without brackets. */
function hostOf(address: string): string {
  const host = address.slice(0, Math.max(0, address.lastIndexOf(":")));
  return host.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1";
}
