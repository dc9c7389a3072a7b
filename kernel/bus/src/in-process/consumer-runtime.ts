import type { Logger } from "pino";
import type { BatchHandler, BatchItem } from "../bus.js";
import { backoffDelay, type ConsumerSettings } from "../consumer-options.js";
import type { EventEnvelope } from "../envelope.js";
import { matchSubject } from "../subjects.js";
import { Schedule } from "./schedule.js";
import { type BusStore, PendingState, type StoredMessage } from "./store.js";

/** Messages read from the log per query when looking for new ones. */
const READ_BATCH = 256;

/** What a consumer runtime needs from its bus. */
export interface ConsumerHost {
  store: BusStore;
  logger: Logger;
  /** seq of the newest message in the log */
  lastSeq(): number;
  /** the runtime has no subscriber and no running handler left */
  onIdle(runtime: ConsumerRuntime): void;
}

/** One `subscribe` call: handles one batch (of at most `maxBatch` messages) at a time. */
export interface Slot {
  handler: BatchHandler;
  maxBatch: number;
  busy: boolean;
  current?: Promise<void>;
}

interface Entry {
  attempts: number;
  /** ack deadline while in flight, redelivery time while waiting */
  nextAt: number;
  state: typeof PendingState.InFlight | typeof PendingState.Waiting;
}

interface Pick {
  msg: StoredMessage;
  attempt: number;
  first: boolean;
}

/**
 * Dispatch for one durable consumer of the in-process bus, shared by every subscriber with its name.
 * New messages go out in log order; failed or expired deliveries wait in a timer heap, then take
 * precedence by seq. Every state change is written to the store before it takes effect.
 */
export class ConsumerRuntime {
  readonly name: string;
  #settings: ConsumerSettings;
  readonly #host: ConsumerHost;
  readonly #log: Logger;
  readonly #slots: Slot[] = [];
  #rr = 0;
  /** running handlers, including those of removed subscribers */
  readonly #inflight = new Set<Promise<void>>();
  /** persisted: every seq <= cursor was delivered once or skipped */
  #cursor: number;
  /** highest seq read from the log into #fresh */
  #scanned: number;
  #fresh: StoredMessage[] = [];
  #freshHead = 0;
  readonly #pending = new Map<number, Entry>();
  readonly #schedule = new Schedule(
    (seq, at) => this.#pending.get(seq)?.nextAt === at,
    () => this.#pump(),
  );
  #scheduled = false;
  #disposed = false;

  constructor(host: ConsumerHost, settings: ConsumerSettings) {
    this.name = settings.consumer;
    this.#settings = settings;
    this.#host = host;
    this.#log = host.logger.child({ consumer: this.name });
    const record = settings.ephemeral
      ? host.store.addConsumer(this.name, settings.filter, host.lastSeq())
      : host.store.openConsumer(this.name, settings.filter, Date.now());
    this.#cursor = this.#scanned = record.cursor;
    for (const row of record.pending) {
      if (row.state === PendingState.Dead) continue;
      this.#pending.set(row.seq, { attempts: row.attempts, nextAt: row.nextAt, state: row.state });
      this.#schedule.add(row.seq, row.nextAt);
    }
  }

  get ephemeral(): boolean {
    return this.#settings.ephemeral;
  }

  /** Applies the options of a later `subscribe` with the same name (last one wins, as in JetStream). */
  configure(settings: ConsumerSettings): void {
    if (settings.ephemeral || this.#settings.ephemeral) {
      throw new Error(`Consumer ${this.name} exists: an ephemeral consumer is never shared`);
    }
    if (settings.filter !== this.#settings.filter) {
      this.#log.warn({ from: this.#settings.filter, to: settings.filter }, "consumer filter changed");
      this.#host.store.setFilter(this.name, settings.filter);
      this.#fresh = [];
      this.#freshHead = 0;
      this.#scanned = this.#cursor;
    }
    this.#settings = settings;
  }

  add(handler: BatchHandler, maxBatch: number): Slot {
    const slot: Slot = { handler, maxBatch, busy: false };
    this.#slots.push(slot);
    this.notify();
    return slot;
  }

  /** Removes a subscriber; resolves once its running handler has finished. */
  async remove(slot: Slot): Promise<void> {
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    await slot.current;
    this.#maybeIdle();
  }

  /** Removes every subscriber and waits for every running handler. */
  async close(): Promise<void> {
    this.#slots.length = 0;
    while (this.#inflight.size > 0) await Promise.all(this.#inflight);
    this.#dispose();
  }

  /** Something changed (new message, free subscriber): dispatch soon. */
  notify(): void {
    if (this.#scheduled || this.#disposed) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#disposed) return;
    const now = Date.now();
    this.#schedule.promote(now);
    for (let slot = this.#freeSlot(); slot; slot = this.#freeSlot()) {
      const picks: Pick[] = [];
      for (
        let pick = this.#pick(now);
        pick;
        pick = picks.length < slot.maxBatch ? this.#pick(now) : undefined
      ) {
        picks.push(pick);
      }
      if (picks.length === 0) break;
      this.#deliver(slot, picks, now);
    }
    const pending = this.#pending;
    this.#schedule.arm(
      now,
      this.#slots.length > 0,
      () => [...pending].map(([seq, e]) => [seq, e.nextAt]),
      pending.size,
    );
  }

  #freeSlot(): Slot | undefined {
    const n = this.#slots.length;
    for (let k = 0; k < n; k++) {
      const i = (this.#rr + k) % n;
      const slot = this.#slots[i]!;
      if (!slot.busy) {
        this.#rr = (i + 1) % n;
        return slot;
      }
    }
    return undefined;
  }

  /** The next delivery: the lowest seq among due redeliveries and the next new message. */
  #pick(now: number): Pick | undefined {
    for (;;) {
      const fresh = this.#peekFresh();
      const seq = this.#schedule.peekDue();
      if (seq === undefined || (fresh && fresh.seq < seq)) {
        if (!fresh) return undefined;
        this.#freshHead++;
        return { msg: fresh, attempt: 1, first: true };
      }
      this.#schedule.popDue();
      const entry = this.#pending.get(seq);
      if (!entry || entry.nextAt > now) continue; // acked or rescheduled since
      const msg = this.#host.store.message(seq);
      if (!msg) {
        this.#pending.delete(seq);
        this.#host.store.ack(this.name, [seq]);
        continue;
      }
      if (entry.attempts >= this.#settings.maxDeliver) {
        this.#deadLetter(msg, entry.attempts, new Error("ack wait expired on the last delivery"));
        continue;
      }
      return { msg, attempt: entry.attempts + 1, first: false };
    }
  }

  /** The next never-delivered message matching the filter, reading the log in batches. */
  #peekFresh(): StoredMessage | undefined {
    if (this.#freshHead < this.#fresh.length) return this.#fresh[this.#freshHead];
    this.#fresh = [];
    this.#freshHead = 0;
    const last = this.#host.lastSeq();
    while (this.#scanned < last) {
      const rows = this.#host.store.readAfter(this.#scanned, READ_BATCH);
      if (rows.length === 0) break;
      for (const row of rows) if (matchSubject(this.#settings.filter, row.subject)) this.#fresh.push(row);
      this.#scanned = rows[rows.length - 1]!.seq;
      if (this.#fresh.length > 0) return this.#fresh[0];
    }
    // Skipped (non-matching) messages are rescanned after a restart anyway: persist the skip lazily.
    if (this.#scanned - this.#cursor >= READ_BATCH) this.#persistSkip();
    return undefined;
  }

  /** Moves the persisted cursor over scanned messages, when none of them waits in the buffer. */
  #persistSkip(): void {
    if (this.#freshHead < this.#fresh.length || this.#scanned <= this.#cursor) return;
    this.#host.store.skipTo(this.name, this.#scanned);
    this.#cursor = this.#scanned;
  }

  #deliver(slot: Slot, picks: Pick[], now: number): void {
    const deadline = now + this.#settings.ackWaitMs;
    // first deliveries are picked in log order: the cursor moves to the last one
    let cursor: number | undefined;
    for (const { msg, first } of picks) if (first) cursor = msg.seq;
    this.#host.store.delivered(
      this.name,
      picks.map(({ msg, attempt }) => ({ seq: msg.seq, attempts: attempt })),
      deadline,
      cursor,
    );
    if (cursor !== undefined) this.#cursor = cursor;
    for (const { msg, attempt } of picks) {
      this.#pending.set(msg.seq, { attempts: attempt, nextAt: deadline, state: PendingState.InFlight });
      this.#schedule.add(msg.seq, deadline);
    }
    slot.busy = true;
    const run = this.#run(slot.handler, picks);
    slot.current = run;
    this.#inflight.add(run);
    void run.then(() => {
      this.#inflight.delete(run);
      if (slot.current === run) slot.current = undefined;
      slot.busy = false;
      this.notify();
      this.#maybeIdle();
    });
  }

  /**
   * Runs a handler on a batch and records the outcome of every message; never rejects. A message whose body
   * does not parse fails alone; the others go to the handler together.
   */
  async #run(handler: BatchHandler, picks: Pick[]): Promise<void> {
    const items: BatchItem[] = [];
    const handed: Pick[] = [];
    for (const pick of picks) {
      try {
        const event = JSON.parse(pick.msg.body) as EventEnvelope;
        items.push({ event, delivery: { attempt: pick.attempt, subject: pick.msg.subject } });
        handed.push(pick);
      } catch (err) {
        this.#settleFailed(pick, err);
      }
    }
    if (items.length === 0) return;
    let failure: { err: unknown } | undefined;
    try {
      await handler(items);
    } catch (err) {
      failure = { err };
    }
    // the batch's outcomes commit together: its acks with one statement
    try {
      if (failure) {
        const { err } = failure;
        this.#host.store.together(() => {
          for (const pick of handed) this.#settleFailed(pick, err);
        });
      } else {
        // a late ack of an expired delivery still counts, as in JetStream
        const seqs = handed.map(({ msg }) => msg.seq);
        for (const seq of seqs) this.#pending.delete(seq);
        this.#host.store.ack(this.name, seqs);
      }
    } catch (err) {
      this.#log.error({ err, messages: handed.length }, "recording a batch's outcomes failed");
    }
  }

  #settleFailed({ msg, attempt }: Pick, failure: unknown): void {
    try {
      this.#failed(msg, attempt, failure);
    } catch (err) {
      this.#log.error({ err, eventId: msg.eventId, seq: msg.seq }, "recording a delivery outcome failed");
    }
  }

  #failed(msg: StoredMessage, attempt: number, err: unknown): void {
    const entry = this.#pending.get(msg.seq);
    if (!entry || entry.attempts !== attempt) return; // a newer delivery owns the message
    if (attempt >= this.#settings.maxDeliver) {
      this.#deadLetter(msg, attempt, err);
      return;
    }
    const at = Date.now() + backoffDelay(this.#settings, attempt);
    entry.state = PendingState.Waiting;
    entry.nextAt = at;
    this.#schedule.add(msg.seq, at);
    this.#host.store.retryAt(this.name, msg.seq, at);
    this.#log.warn(
      { err, eventId: msg.eventId, seq: msg.seq, attempt },
      "event handler failed, will redeliver",
    );
  }

  #deadLetter(msg: StoredMessage, attempts: number, err: unknown): void {
    this.#pending.delete(msg.seq);
    this.#host.store.markDead(this.name, msg.seq);
    this.#log.error(
      { err, eventId: msg.eventId, subject: msg.subject, seq: msg.seq, attempts },
      "event dead-lettered",
    );
  }

  #maybeIdle(): void {
    if (this.#slots.length > 0 || this.#inflight.size > 0 || this.#disposed) return;
    this.#dispose();
    this.#host.onIdle(this);
  }

  #dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#persistSkip();
    this.#schedule.clear();
  }
}
