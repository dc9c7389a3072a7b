import type { EventEnvelope } from "./envelope.js";

/** Handed to a handler with each delivery. */
export interface Delivery {
  /** 1 on the first delivery, then 2, 3, … on redeliveries */
  attempt: number;
  /** the concrete subject the event was published on */
  subject: string;
}

export type EventHandler = (event: EventEnvelope, delivery: Delivery) => Promise<void>;

/** One event of a batch handed to a {@link BatchHandler}. */
export interface BatchItem {
  event: EventEnvelope;
  delivery: Delivery;
}

/**
 * Handles the events a subscriber holds at once, in delivery order. Resolving acks every one of them;
 * throwing redelivers every one of them later (each with its own attempt count and backoff).
 */
export type BatchHandler = (items: readonly BatchItem[]) => Promise<void>;

export interface SubscribeOptions {
  /**
   * Durable consumer name. Subscribers that share a name share one durable cursor and split the work
   * between them (queue-group semantics); a restarted subscriber resumes where the name left off.
   */
  consumer: string;
  /** One subject filter with NATS wildcards (`*` one token, `>` the rest), e.g. `lf.*.bundles.>`. */
  filter: string;
  /** Delay before redelivering after a handler throws; doubled per attempt up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** After this many failed deliveries the event is dead-lettered (logged, not redelivered). Default 10. */
  maxDeliver?: number;
  /** Time a handler may hold a delivery before it is considered lost and redelivered. Default 30 s. */
  ackWaitMs?: number;
  /**
   * This subscriber's own consumer instead of a shared durable one: it starts at the events published after
   * `subscribe` resolves (none from before), is deleted when its subscription stops, and on NATS also once
   * nothing has pulled from it for a minute (a process that died). `consumer` must be unique to the subscriber
   * (every subscriber then gets every event: a broadcast, e.g. to drop cached state on every gateway).
   */
  ephemeral?: boolean;
  /**
   * The consumer's name in metrics and spans when `consumer` is unique to each subscriber (an ephemeral one,
   * e.g. `gateway-identity-<ulid>`), so a process start adds no new metric series. Default: `consumer`.
   */
  metricsName?: string;
}

export interface BatchSubscribeOptions extends SubscribeOptions {
  /**
   * Most events per handler call. A batch is whatever is ready when the subscriber is free (never waits to
   * fill one): one event at a time under a trickle, up to this many under a backlog.
   */
  maxBatch: number;
}

export interface Subscription {
  /** Stops receiving; in-flight handlers finish first. The durable cursor stays. */
  stop(): Promise<void>;
}

/**
 * The event bus. At-least-once delivery with explicit ack: a handler that resolves acks, one that throws
 * gets the event again later. Publishing the same event id twice delivers it once.
 * Implementations: NATS JetStream (distributed) and in-process (embedded); one conformance suite.
 */
export interface EventBus {
  /** Resolves once the event is durably accepted. */
  publish(event: EventEnvelope): Promise<void>;
  subscribe(options: SubscribeOptions, handler: EventHandler): Promise<Subscription>;
  /** As `subscribe`, with the events that are ready handed over together (one ack or redelivery for all). */
  subscribeBatch(options: BatchSubscribeOptions, handler: BatchHandler): Promise<Subscription>;
  /** Liveness of the underlying transport, for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
