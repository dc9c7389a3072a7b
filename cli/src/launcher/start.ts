import type { EventBus } from "@latchflow/bus";
import {
  type Config,
  createBusFromConfig,
  type Logger,
  type ServiceDeps,
  startMetricsServer,
} from "@latchflow/runtime";
import {
  BACKENDS,
  type BackendName,
  type Hooks,
  type RunningNode,
  startBackend,
  startGateway,
  stopAll,
} from "./nodes.js";

export interface Started {
  /** the gateway URL (embedded mode and `--service gateway`) */
  url?: string;
  /** the gRPC port of a single backend (`--service <backend>`) */
  grpcPort?: number;
  /** embedded mode: where each backend listens (loopback) */
  addresses?: Config["addresses"];
  /** embedded mode: the services' bus (e.g. for another gateway on the same services) */
  bus?: EventBus;
  stop(): Promise<void>;
}

function printBootstrap(out: (line: string) => void): Hooks["onBootstrap"] {
  return (result) => {
    if (result.mintedToken) {
      out(`First start: created the owner ${result.email}. Their API token (shown once, store it now):`);
      out(`  ${result.mintedToken}`);
    } else {
      out(`First start: created the owner ${result.email} with the token from LATCHFLOW_BOOTSTRAP_TOKEN.`);
    }
  };
}

/** Checks that every address is set (distributed mode), naming the missing variables. */
function requireAddresses(addresses: Config["addresses"]): void {
  const missing = Object.entries(addresses)
    .filter(([, v]) => !v)
    .map(([k]) => `LATCHFLOW_${k.toUpperCase()}_ADDR`);
  if (missing.length) throw new Error(`The gateway needs the service addresses: set ${missing.join(", ")}`);
}

function gatewayUrl(config: Config, port: number): string {
  return config.http.publicUrl || `http://${config.http.host}:${port}`;
}

/** Embedded mode: every service, the kernel and the gateway in this process; gRPC over loopback. */
export async function startEmbedded(
  config: Config,
  logger: Logger,
  out: (line: string) => void,
  options: { now?: () => Date } = {},
): Promise<Started> {
  const nodes: RunningNode[] = [];
  let bus: EventBus | undefined;
  try {
    bus = await createBusFromConfig(config, logger);
    const deps: ServiceDeps = { config, bus, logger };
    const addresses = { ...config.addresses };
    for (const name of BACKENDS) {
      const node = await startBackend(
        name,
        deps,
        { host: "127.0.0.1", port: 0 },
        { onBootstrap: printBootstrap(out), addresses, ...(options.now ? { now: options.now } : {}) },
      );
      nodes.push(node);
      addresses[name] = `127.0.0.1:${node.port}`;
    }
    const gateway = await startGateway(config, logger, addresses, {
      bus,
      ...(options.now ? { now: options.now } : {}),
    });
    nodes.push(gateway);
    const started = bus;
    const url = gatewayUrl(config, gateway.port);
    // links the kernel makes (publish links, check-in links) point at the port the gateway really got
    if (!config.http.publicUrl) config.http.publicUrl = url;
    return { url, addresses, bus: started, stop: () => stopAll(nodes, started, logger) };
  } catch (err) {
    await stopAll(nodes, bus, logger);
    throw err;
  }
}

/** Distributed mode: one service in this OS process. */
export async function startOne(
  name: string,
  config: Config,
  logger: Logger,
  out: (line: string) => void,
): Promise<Started> {
  if (name === "gateway") {
    requireAddresses(config.addresses);
    // a gateway process hears the auth service's revocations only on a shared bus (NATS), and caches
    // identities only then; an in-process bus here would be its own, deaf to them
    const bus = config.bus.kind === "nats" ? await createBusFromConfig(config, logger) : undefined;
    try {
      const node = await startGateway(config, logger, config.addresses, bus ? { bus } : {});
      return { url: gatewayUrl(config, node.port), stop: () => stopAll([node], bus, logger) };
    } catch (err) {
      await bus?.close();
      throw err;
    }
  }
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new Error(`Unknown service "${name}": use one of ${[...BACKENDS, "gateway"].join(", ")}`);
  }
  if (config.bus.kind !== "nats") {
    // every process would open its own in-process bus on the same <dataDir>/bus.db: one process per file
    throw new Error(
      `The ${name} service on its own needs NATS (set LATCHFLOW_NATS_URL): the in-process bus reaches only its own process. \`latchflow start\` without --service runs every service in one.`,
    );
  }
  const bus = await createBusFromConfig(config, logger);
  const nodes: RunningNode[] = [];
  try {
    const node = await startBackend(name as BackendName, { config, bus, logger }, config.grpc, {
      onBootstrap: printBootstrap(out),
    });
    nodes.push(node);
    const { metricsPort, metricsToken } = config.observability;
    if (metricsPort !== undefined) {
      // this process's own registry (the gateway serves its own on its HTTP port)
      const metrics = await startMetricsServer({
        host: config.grpc.host,
        port: metricsPort,
        token: metricsToken,
        logger: logger.child({ service: name }),
      });
      nodes.unshift({ port: metrics.port, stop: () => metrics.close() });
    }
    return { grpcPort: node.port, stop: () => stopAll(nodes, bus, logger) };
  } catch (err) {
    await stopAll(nodes, bus, logger);
    throw err;
  }
}
