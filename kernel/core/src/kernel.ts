import { type GrpcServer, type LatchflowService, type ServiceDeps, ServiceName } from "@latchflow/runtime";

/**
 * The kernel process. It routes events (the bus) and, with the pipelines issue, runs the orchestrator,
 * durable timers and the plugin host. It holds no domain logic of auth, bundles, storage or audit.
 */
export function createKernel(deps: ServiceDeps): LatchflowService {
  const logger = deps.logger.child({ service: ServiceName.Kernel });
  return {
    name: ServiceName.Kernel,
    async start(_server: GrpcServer) {
      await deps.bus.ping();
      logger.debug("kernel started");
    },
    async stop() {},
  };
}
