import type { EventEnvelope } from "./envelope.js";

/** Handed to a handler with each delivery. */
export interface Delivery {
  /** 1 on the first delivery, then 2, 3, … on redeliveries */
  attempt: number;
  /** the concrete subject the event was published on */
  subject: string;
}

export type EventHandler = (event: EventEnvelope, delivery: Delivery) => Promise<void>;

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
  /** Liveness of the underlying transport, for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
