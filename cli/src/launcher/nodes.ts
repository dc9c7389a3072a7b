// Each service's package is imported when that service starts (ADR 053): a process of the distributed mode loads
// only its own service's code, not all six, and only the gateway the clients of all the others (ADR 070).
import type { BootstrapResult } from "@latchflow/auth";
import type { EventBus } from "@latchflow/bus";
import {
  type Config,
  createGrpcServer,
  type LatchflowService,
  type Logger,
  type ServiceDeps,
  type ServiceName,
} from "@latchflow/runtime";

export type BackendName = Exclude<ServiceName, "gateway">;
/** Start order: the bundles service calls storage, so storage comes first. */
export const BACKENDS: readonly BackendName[] = ["kernel", "auth", "storage", "bundles", "audit"];

export interface Hooks {
  onBootstrap?: (result: Extract<BootstrapResult, { created: true }>) => void;
  /** the services' clock (tests move time forward) */
  now?: () => Date;
  /** where the other services listen (embedded: filled in as they start) */
  addresses?: Config["addresses"];
}

async function createBackend(name: BackendName, deps: ServiceDeps, hooks: Hooks): Promise<LatchflowService> {
  switch (name) {
    case "kernel":
      return (await import("@latchflow/kernel")).createKernel({
        ...deps,
        addresses: hooks.addresses ?? deps.config.addresses,
        ...(hooks.now ? { now: hooks.now } : {}),
      });
    case "auth":
      return (await import("@latchflow/auth")).createAuthService({
        ...deps,
        ...(hooks.onBootstrap ? { onBootstrap: hooks.onBootstrap } : {}),
        ...(hooks.now ? { now: hooks.now } : {}),
      });
    case "bundles":
      return (await import("@latchflow/bundles")).createBundlesService({
        ...deps,
        storageAddress: hooks.addresses?.storage || deps.config.addresses.storage,
        ...(hooks.now ? { now: hooks.now } : {}),
      });
    case "storage":
      return (await import("@latchflow/storage")).createStorageService(deps);
    case "audit":
      return (await import("@latchflow/audit")).createAuditService(deps);
  }
}

export interface RunningNode {
  /** bound port (gRPC for a backend, HTTP for the gateway) */
  port: number;
  stop(): Promise<void>;
}

/** Starts one backend service with its own gRPC server on `host:port`. */
export async function startBackend(
  name: BackendName,
  deps: ServiceDeps,
  listen: { host: string; port: number },
  hooks: Hooks = {},
): Promise<RunningNode> {
  const service = await createBackend(name, deps, hooks);
  const server = createGrpcServer({ logger: deps.logger.child({ service: name }) });
  await service.start(server);
  const port = await server.listen(listen.host, listen.port);
  return {
    port,
    stop: async () => {
      await server.shutdown(2_000, 0);
      await service.stop();
    },
  };
}

/**
 * Starts the HTTP gateway against the given service addresses. `bus`: the one the auth service publishes on,
 * so the gateway may cache identities and hear their revocations (ADR 054); without it, it never caches.
 * `now`: the services' clock (a cached identity is kept only while it is valid by that clock).
 */
export async function startGateway(
  config: Config,
  logger: Logger,
  addresses: Config["addresses"],
  options: { bus?: EventBus; now?: () => Date } = {},
): Promise<RunningNode> {
  // the clients of every service (and so every gRPC contract): imported by the gateway only (ADR 070)
  const { gatewayClients } = await import("./clients.js");
  const { clients, readiness, close } = gatewayClients(addresses, config, logger);
  const { createGateway } = await import("@latchflow/gateway");
  const gateway = createGateway({ config, logger, clients, readiness, ...options });
  try {
    const port = await gateway.listen();
    return {
      port,
      stop: async () => {
        await gateway.close();
        close();
      },
    };
  } catch (err) {
    await gateway.close();
    close();
    throw err;
  }
}

/** Stops nodes in reverse start order, then the bus; never throws. */
export async function stopAll(
  nodes: RunningNode[],
  bus: EventBus | undefined,
  logger: Logger,
): Promise<void> {
  for (const node of [...nodes].reverse()) {
    await node.stop().catch((err: unknown) => logger.warn({ err }, "stop failed"));
  }
  await bus?.close().catch((err: unknown) => logger.warn({ err }, "bus close failed"));
}
