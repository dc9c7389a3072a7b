import type { BatchHandler, EventBus, SubscribeOptions, Subscription } from "./bus.js";
import { compileSubscribeOptions, subscribeMethods } from "./consumer-options.js";
import { type ConsumerHost, ConsumerRuntime } from "./in-process/consumer-runtime.js";
import { BusStore } from "./in-process/store.js";
import { type Logger, silentLogger } from "./logger.js";
import { type RetentionOptions, retentionSettings, schedulePruning } from "./retention.js";
import { subjectFor } from "./subjects.js";

export interface InProcessBusOptions extends RetentionOptions {
  /**
   * SQLite file holding the message log and the consumers' state; reopening the same file resumes every
   * durable consumer where it stopped. Default `:memory:` (nothing survives `close()`). One bus per file.
   */
  path?: string;
  /** Default: a silent pino logger. */
  logger?: Logger;
}

/** Messages removed per statement: the bus's writes wait for one statement only, never for a whole prune. */
const PRUNE_BATCH = 1000;

/**
 * The embedded event bus: JetStream semantics (durable consumers, explicit ack, redelivery with backoff,
 * max deliver, dedupe by event id, queue groups) inside one process, persisted in SQLite via libsql.
 */
export function createInProcessBus(options: InProcessBusOptions = {}): EventBus {
  const retention = retentionSettings(options);
  const logger = (options.logger ?? silentLogger()).child({ component: "bus", transport: "in-process" });
  const store = new BusStore(options.path ?? ":memory:");
  const runtimes = new Map<string, ConsumerRuntime>();
  let lastSeq = store.lastSeq();
  let closing: Promise<void> | undefined;
  const pruning = schedulePruning(
    retention,
    async (before, stopping) => {
      let removed = 0;
      for (let n = PRUNE_BATCH; n === PRUNE_BATCH && !stopping(); ) {
        n = store.prune(before, PRUNE_BATCH);
        removed += n;
        await new Promise((resolve) => setImmediate(resolve));
      }
      return removed;
    },
    logger,
  );

  const host: ConsumerHost = {
    store,
    logger,
    lastSeq: () => lastSeq,
    onIdle: (runtime) => {
      if (runtimes.get(runtime.name) === runtime) runtimes.delete(runtime.name);
      if (runtime.ephemeral) store.dropConsumer(runtime.name);
    },
  };

  const assertOpen = (): void => {
    if (closing) throw new Error("The in-process bus is closed");
  };

  const addSubscriber = async (
    subscribeOptions: SubscribeOptions,
    handler: BatchHandler,
    maxBatch: number,
  ): Promise<Subscription> => {
    assertOpen();
    const settings = compileSubscribeOptions(subscribeOptions);
    let runtime = runtimes.get(settings.consumer);
    if (runtime) {
      runtime.configure(settings);
    } else {
      runtime = new ConsumerRuntime(host, settings);
      runtimes.set(settings.consumer, runtime);
    }
    const owner = runtime;
    const slot = owner.add(handler, maxBatch);
    let stopped: Promise<void> | undefined;
    return {
      stop: () => {
        stopped ??= owner.remove(slot);
        return stopped;
      },
    };
  };

  return {
    async publish(event) {
      assertOpen();
      if (typeof event.id !== "string" || event.id.length === 0) {
        throw new Error("Cannot publish an event without an id");
      }
      const subject = subjectFor(event.tenant, event.type);
      const seq = store.append(event.id, subject, JSON.stringify(event));
      if (seq === undefined) {
        logger.debug({ eventId: event.id, subject }, "duplicate event ignored");
      } else {
        lastSeq = seq;
        for (const runtime of runtimes.values()) runtime.notify();
      }
      // accepted once on disk (the first copy may still be on its way there); concurrent publishes share one sync
      await store.durable();
    },

    ...subscribeMethods(addSubscriber),

    async ping() {
      assertOpen();
      store.lastSeq();
    },

    close() {
      closing ??= (async () => {
        await pruning.stop();
        await Promise.all([...runtimes.values()].map((runtime) => runtime.close()));
        for (const runtime of runtimes.values()) if (runtime.ephemeral) store.dropConsumer(runtime.name);
        runtimes.clear();
        await store.close();
      })();
      return closing;
    },
  };
}
