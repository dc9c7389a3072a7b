import { join, resolve } from "node:path";
import { createInProcessBus, type EventBus } from "@latchflow/bus";
import { instrumentBus } from "./bus-instrumentation.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import { makeSqliteFilePrivate } from "./private-files.js";

/**
 * The bus the configuration asks for: NATS JetStream, or the durable in-process bus in the data dir —
 * instrumented (traces, metrics, request-scoped logs; see `instrumentBus`).
 */
export async function createBusFromConfig(config: Config, logger: Logger): Promise<EventBus> {
  const busLogger = logger.child({ component: "bus" });
  if (config.bus.kind === "nats") {
    // loaded here: the embedded server never needs the NATS client
    const { createNatsBus } = await import("@latchflow/bus/nats");
    const bus = await createNatsBus({
      servers: config.bus.url,
      stream: config.bus.stream,
      namespace: config.bus.namespace,
      retentionMs: config.bus.retentionMs,
      logger: busLogger,
    });
    return instrumentBus(bus, { transport: "nats" });
  }
  // a fresh clone has no data dir yet: it and every parent are created 0700, the log file 0600
  const path = join(resolve(config.dataDir), "bus.db");
  makeSqliteFilePrivate(path);
  const bus = createInProcessBus({ path, retentionMs: config.bus.retentionMs, logger: busLogger });
  makeSqliteFilePrivate(path);
  return instrumentBus(bus, { transport: "in-process" });
}
