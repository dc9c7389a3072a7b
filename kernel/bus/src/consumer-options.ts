import type { BatchHandler, EventBus, EventHandler, SubscribeOptions, Subscription } from "./bus.js";
import { assertFilter } from "./subjects.js";

/** Defaults of {@link SubscribeOptions}, shared by every implementation. */
export const SUBSCRIBE_DEFAULTS = {
  initialBackoffMs: 200,
  maxBackoffMs: 30_000,
  maxDeliver: 10,
  ackWaitMs: 30_000,
} as const;

/** NATS deletes an ephemeral consumer nothing has pulled from for this long (longer than one pull's wait). */
export const EPHEMERAL_INACTIVE_MS = 60_000;

/** Subscribe options after defaults and validation; runtime code sees only this form. */
export type ConsumerSettings = Required<SubscribeOptions>;

const CONSUMER_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** Applies defaults and validates; throws an Error naming the bad option. */
export function compileSubscribeOptions(options: SubscribeOptions): ConsumerSettings {
  if (!CONSUMER_NAME.test(options.consumer)) {
    throw new Error(
      `Invalid consumer name ${JSON.stringify(options.consumer)}: expected ^[A-Za-z0-9_-]{1,128}$`,
    );
  }
  assertFilter(options.filter);
  const settings: ConsumerSettings = {
    consumer: options.consumer,
    filter: options.filter,
    initialBackoffMs: options.initialBackoffMs ?? SUBSCRIBE_DEFAULTS.initialBackoffMs,
    maxBackoffMs: options.maxBackoffMs ?? SUBSCRIBE_DEFAULTS.maxBackoffMs,
    maxDeliver: options.maxDeliver ?? SUBSCRIBE_DEFAULTS.maxDeliver,
    ackWaitMs: options.ackWaitMs ?? SUBSCRIBE_DEFAULTS.ackWaitMs,
    ephemeral: options.ephemeral ?? false,
    metricsName: options.metricsName ?? options.consumer,
  };
  for (const key of ["initialBackoffMs", "maxBackoffMs", "ackWaitMs"] as const) {
    if (!Number.isFinite(settings[key]) || settings[key] < 0) {
      throw new Error(`Invalid ${key} ${settings[key]}: expected a finite number >= 0`);
    }
  }
  if (!Number.isInteger(settings.maxDeliver) || settings.maxDeliver < 1) {
    throw new Error(`Invalid maxDeliver ${settings.maxDeliver}: expected an integer >= 1`);
  }
  if (settings.ackWaitMs < 1) throw new Error(`Invalid ackWaitMs ${settings.ackWaitMs}: expected >= 1`);
  return settings;
}

/** Most events per batch a subscriber may ask for (a JetStream pull request's practical size). */
export const MAX_BATCH = 1000;

/** Validates a batch subscriber's `maxBatch`; throws an Error naming it. */
function compileMaxBatch(maxBatch: number): number {
  if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > MAX_BATCH) {
    throw new Error(`Invalid maxBatch ${maxBatch}: expected an integer from 1 to ${MAX_BATCH}`);
  }
  return maxBatch;
}

/** Adapts a one-event handler to the batch form (batches of one). */
function singleHandler(handler: EventHandler): BatchHandler {
  return async (items) => {
    for (const { event, delivery } of items) await handler(event, delivery);
  };
}

/** `subscribe` and `subscribeBatch` of a transport, over its one way to add a batch subscriber. */
export function subscribeMethods(
  add: (options: SubscribeOptions, handler: BatchHandler, maxBatch: number) => Promise<Subscription>,
): Pick<EventBus, "subscribe" | "subscribeBatch"> {
  return {
    subscribe: (options, handler) => add(options, singleHandler(handler), 1),
    subscribeBatch: async (options, handler) => add(options, handler, compileMaxBatch(options.maxBatch)),
  };
}

/** Delay before redelivering after failed delivery number `attempt` (1-based): initial·2^(attempt-1), capped. */
export function backoffDelay(settings: ConsumerSettings, attempt: number): number {
  const exp = Math.min(attempt - 1, 52);
  return Math.min(settings.initialBackoffMs * 2 ** exp, settings.maxBackoffMs);
}
