import { join, resolve } from "node:path";
import { createInProcessBus, createNatsBus, type EventBus } from "@latchflow/bus";
import { instrumentBus } from "./bus-instrumentation.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";

/**
 * The bus the configuration asks for: NATS JetStream, or the durable in-process bus in the data dir —
 * instrumented (traces, metrics, request-scoped logs; see `instrumentBus`).
 */
export async function createBusFromConfig(config: Config, logger: Logger): Promise<EventBus> {
  const busLogger = logger.child({ component: "bus" });
  if (config.bus.kind === "nats") {
    const bus = await createNatsBus({
      servers: config.bus.url,
      stream: config.bus.stream,
      namespace: config.bus.namespace,
      logger: busLogger,
    });
    return instrumentBus(bus, { transport: "nats" });
  }
  const bus = createInProcessBus({ path: join(resolve(config.dataDir), "bus.db"), logger: busLogger });
  return instrumentBus(bus, { transport: "in-process" });
}
