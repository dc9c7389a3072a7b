import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { connect, headers, nanos } from "@nats-io/transport-node";
import type { BatchHandler, EventBus, SubscribeOptions, Subscription } from "./bus.js";
import {
  type ConsumerSettings,
  compileSubscribeOptions,
  EPHEMERAL_INACTIVE_MS,
  subscribeMethods,
} from "./consumer-options.js";
import { type Logger, silentLogger } from "./logger.js";
import { REQUEST_ID_HEADER, TRACEPARENT_HEADER } from "./nats/headers.js";
import { PullLoop } from "./nats/pull-loop.js";
import { pruneStream } from "./nats/retention.js";
import { assertStreamSettings, ensureStream, isNotFound, subjectPrefix } from "./nats/stream.js";
import { type RetentionOptions, retentionSettings, schedulePruning } from "./retention.js";
import { subjectFor } from "./subjects.js";

export { REQUEST_ID_HEADER, TRACEPARENT_HEADER };

export interface NatsBusOptions extends RetentionOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222` */
  servers: string | string[];
  /** JetStream stream holding the events */
  stream: string;
  /** Optional subject prefix (`<namespace>.lf.…`) isolating deployments or tests on one server. */
  namespace?: string;
  /** Default: a silent pino logger. */
  logger?: Logger;
  /** Connection name shown by the server (e.g. the service name). */
  name?: string;
  /**
   * Create/update the stream on start and remove consumed events from it (`retentionMs`, `pruneEveryMs`);
   * default true. Turn off when the kernel provisions it.
   */
  provisionStream?: boolean;
  /**
   * Messages each subscriber pulls at once (default 1: pull one, handle it, pull the next). Higher raises
   * throughput but lets one replica hold messages another could handle, their ack wait running meanwhile.
   */
  prefetch?: number;
}

/**
 * The distributed event bus on NATS JetStream: one stream, durable pull consumers shared by every
 * subscriber with the same name (queue group), Nats-Msg-Id dedupe on the event id.
 */
export async function createNatsBus(options: NatsBusOptions): Promise<EventBus> {
  const { stream, namespace } = options;
  assertStreamSettings({ stream, namespace });
  const retention = retentionSettings(options);
  const prefetch = options.prefetch ?? 1;
  if (!Number.isInteger(prefetch) || prefetch < 1) throw new Error(`Invalid prefetch ${prefetch}`);
  const logger = (options.logger ?? silentLogger()).child({ component: "bus", transport: "nats", stream });
  const prefix = subjectPrefix(namespace);

  const nc = await connect({
    servers: options.servers,
    ...(options.name ? { name: options.name } : {}),
    maxReconnectAttempts: -1,
  });
  try {
    if (options.provisionStream ?? true) await ensureStream(nc, { stream, namespace });
  } catch (err) {
    await nc.close();
    throw err;
  }
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const loops = new Set<PullLoop>();
  /** names of the ephemeral consumers of subscriptions not yet stopped */
  const ephemerals = new Set<string>();
  let closing: Promise<void> | undefined;
  const pruning =
    (options.provisionStream ?? true)
      ? schedulePruning(retention, (before) => pruneStream(jsm, stream, before), logger)
      : undefined;

  const assertOpen = (): void => {
    if (closing || nc.isClosed()) throw new Error("The NATS bus is closed");
  };

  /** Best effort: the server deletes an ephemeral consumer by itself after EPHEMERAL_INACTIVE_MS otherwise. */
  const deleteEphemeral = async (name: string): Promise<void> => {
    if (nc.isClosed()) return;
    await jsm.consumers.delete(stream, name).catch((err: unknown) => {
      if (!isNotFound(err)) logger.warn({ err, consumer: name }, "ephemeral consumer not deleted");
    });
  };

  const addSubscriber = async (
    subscribeOptions: SubscribeOptions,
    handler: BatchHandler,
    maxBatch: number,
  ): Promise<Subscription> => {
    assertOpen();
    const settings = compileSubscribeOptions(subscribeOptions);
    if (settings.ephemeral) await addEphemeralConsumer(jsm, stream, settings, prefix + settings.filter);
    else await ensureConsumer(jsm, stream, settings, prefix + settings.filter);
    const loop = new PullLoop({ nc, js, stream, prefix, prefetch, maxBatch, logger }, settings, handler);
    loops.add(loop);
    loop.start();
    let stopped: Promise<void> | undefined;
    if (settings.ephemeral) ephemerals.add(settings.consumer);
    const stop = async (): Promise<void> => {
      await loop.stop().finally(() => loops.delete(loop));
      if (ephemerals.delete(settings.consumer)) await deleteEphemeral(settings.consumer);
    };
    return {
      stop: () => {
        stopped ??= stop();
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
      const subject = prefix + subjectFor(event.tenant, event.type);
      const h = headers();
      if (event.requestId) h.set(REQUEST_ID_HEADER, event.requestId);
      if (event.traceparent) h.set(TRACEPARENT_HEADER, event.traceparent);
      const ack = await js.publish(subject, JSON.stringify(event), { msgID: event.id, headers: h });
      if (ack.duplicate) logger.debug({ eventId: event.id, subject }, "duplicate event ignored");
    },

    ...subscribeMethods(addSubscriber),

    async ping() {
      assertOpen();
      await nc.rtt();
    },

    close() {
      closing ??= (async () => {
        await pruning?.stop();
        await Promise.all([...loops].map((loop) => loop.stop()));
        loops.clear();
        await Promise.all([...ephemerals].map(deleteEphemeral));
        ephemerals.clear();
        if (!nc.isClosed()) await nc.drain();
      })();
      return closing;
    },
  };
}

/**
 * Creates a subscriber's own pull consumer, starting at the next message; the server removes it once unused
 * for EPHEMERAL_INACTIVE_MS. Fails when the name is taken (an ephemeral consumer is never shared).
 */
async function addEphemeralConsumer(
  jsm: JetStreamManager,
  stream: string,
  settings: ConsumerSettings,
  filter: string,
): Promise<void> {
  const existing = await jsm.consumers.info(stream, settings.consumer).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (existing)
    throw new Error(`Consumer ${settings.consumer} exists: an ephemeral consumer needs a new name`);
  await jsm.consumers.add(stream, {
    name: settings.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.New,
    inactive_threshold: nanos(EPHEMERAL_INACTIVE_MS),
    filter_subject: filter,
    ack_wait: nanos(settings.ackWaitMs),
    max_deliver: settings.maxDeliver,
  });
}

/** Creates the durable pull consumer, or brings an existing one to the requested settings. */
async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  settings: ConsumerSettings,
  filter: string,
): Promise<void> {
  const wanted = {
    filter_subject: filter,
    ack_wait: nanos(settings.ackWaitMs),
    max_deliver: settings.maxDeliver,
  };
  const existing = await jsm.consumers.info(stream, settings.consumer).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (!existing) {
    await jsm.consumers.add(stream, {
      durable_name: settings.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ...wanted,
    });
    return;
  }
  const c = existing.config;
  if (!c.durable_name) throw new Error(`Consumer ${settings.consumer} is ephemeral: it is never shared`);
  if (c.filter_subject !== filter || c.ack_wait !== wanted.ack_wait || c.max_deliver !== wanted.max_deliver) {
    await jsm.consumers.update(stream, settings.consumer, wanted);
  }
}
