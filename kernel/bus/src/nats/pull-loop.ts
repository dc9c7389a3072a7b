import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { BatchHandler, BatchItem } from "../bus.js";
import { backoffDelay, type ConsumerSettings } from "../consumer-options.js";
import type { EventEnvelope } from "../envelope.js";
import { REQUEST_ID_HEADER, TRACEPARENT_HEADER } from "./headers.js";

export interface PullLoopDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  stream: string;
  /** namespace prefix to strip from subjects handed to handlers */
  prefix: string;
  /** messages pulled per request (JetStream `max_messages`); the next pull waits until all are handled */
  prefetch: number;
  /** most messages per handler call: those already received when the loop is free, never waited for */
  maxBatch: number;
  logger: Logger;
}

/** How long one pull request waits for a message before the next is sent. */
const PULL_EXPIRES_MS = 10_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * One subscriber on a durable pull consumer: pulls, runs the handler on the messages received so far (up
 * to `maxBatch`, one batch at a time), then ack / nak(backoff) / term each. Survives transient errors
 * (logs, waits, pulls again) until stopped.
 */
export class PullLoop {
  readonly #deps: PullLoopDeps;
  readonly #settings: ConsumerSettings;
  readonly #handler: BatchHandler;
  readonly #log: Logger;
  #stopping = false;
  #messages: ConsumerMessages | undefined;
  #wake: (() => void) | undefined;
  #done: Promise<void> | undefined;

  constructor(deps: PullLoopDeps, settings: ConsumerSettings, handler: BatchHandler) {
    this.#deps = deps;
    this.#settings = settings;
    this.#handler = handler;
    this.#log = deps.logger.child({ consumer: settings.consumer });
  }

  start(): void {
    this.#done ??= this.#loop();
  }

  /** Stops pulling; the running handler finishes, messages pulled but not started are nak'd. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    // close() settles only once the loop has drained the iterator, so it is not awaited here
    void this.#messages?.close();
    await this.#done;
  }

  async #loop(): Promise<void> {
    const { nc, js, stream, prefetch, maxBatch } = this.#deps;
    let failures = 0;
    let consumer: Consumer | undefined;
    while (!this.#stopping && !nc.isClosed()) {
      try {
        consumer ??= await js.consumers.get(stream, this.#settings.consumer);
        // fetch, not consume: a busy subscriber holds no pull request, so the server hands messages
        // (and redeliveries) only to free subscribers, and nothing waits out its ack wait in a buffer.
        const pulledAt = Date.now();
        const messages = await consumer.fetch({
          max_messages: Math.max(prefetch, maxBatch),
          expires: PULL_EXPIRES_MS,
        });
        this.#messages = messages;
        if (this.#stopping) void messages.close();
        let received = 0;
        const batch: JsMsg[] = [];
        for await (const msg of messages) {
          received++;
          if (this.#stopping) {
            settle(() => msg.nak(), this.#log);
            continue;
          }
          failures = 0;
          batch.push(msg);
          // hand over what has arrived; wait for no more
          if (batch.length >= maxBatch || messages.getPending() === 0) {
            await this.#handle(batch.splice(0));
          }
        }
        for (const msg of batch) settle(() => msg.nak(), this.#log);
        // a pull that ends at once with nothing is a refusal, not an expiry: do not spin on it
        if (received === 0 && !this.#stopping && Date.now() - pulledAt < RETRY_MIN_MS) {
          await this.#sleep(RETRY_MIN_MS);
        }
      } catch (err) {
        if (this.#stopping || nc.isClosed()) break;
        failures++;
        consumer = undefined;
        this.#log.warn({ err, failures }, "event consumer failed, pulling again");
        await this.#sleep(Math.min(RETRY_MIN_MS * 2 ** (failures - 1), RETRY_MAX_MS));
      }
    }
  }

  async #handle(msgs: JsMsg[]): Promise<void> {
    const items: BatchItem[] = [];
    const handed: JsMsg[] = [];
    for (const msg of msgs) {
      const item = this.#decode(msg);
      if (!item) continue;
      items.push(item);
      handed.push(msg);
    }
    if (items.length === 0) return;
    try {
      await this.#handler(items);
    } catch (err) {
      for (const [i, msg] of handed.entries()) this.#failed(msg, items[i]!, err);
      return;
    }
    for (const msg of handed) settle(() => msg.ack(), this.#log);
  }

  /** The event and delivery of a message; terminates an undecodable one. */
  #decode(msg: JsMsg): BatchItem | undefined {
    let event: EventEnvelope;
    try {
      event = msg.json<EventEnvelope>();
    } catch (err) {
      this.#log.error({ err, seq: msg.seq, subject: msg.subject }, "undecodable event terminated");
      settle(() => msg.term("undecodable"), this.#log);
      return undefined;
    }
    const subject = msg.subject.slice(this.#deps.prefix.length);
    // the headers win: a publisher that is not Latchflow's may set them without touching the body
    const requestId = msg.headers?.get(REQUEST_ID_HEADER);
    const traceparent = msg.headers?.get(TRACEPARENT_HEADER);
    if (requestId) event.requestId = requestId;
    if (traceparent) event.traceparent = traceparent;
    return { event, delivery: { attempt: msg.info.deliveryCount, subject } };
  }

  #failed(msg: JsMsg, { event, delivery }: BatchItem, err: unknown): void {
    const { attempt, subject } = delivery;
    if (attempt >= this.#settings.maxDeliver) {
      settle(() => msg.term("max deliver reached"), this.#log);
      this.#log.error(
        { err, eventId: event.id, subject, seq: msg.seq, attempts: attempt },
        "event dead-lettered",
      );
    } else {
      settle(() => msg.nak(backoffDelay(this.#settings, attempt)), this.#log);
      this.#log.warn(
        { err, eventId: event.id, seq: msg.seq, attempt },
        "event handler failed, will redeliver",
      );
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

/** ack/nak/term publish on the connection; a closed connection must not crash the loop. */
function settle(fn: () => void, log: Logger): void {
  try {
    fn();
  } catch (err) {
    log.warn({ err }, "acknowledging an event failed; it will be redelivered");
  }
}
