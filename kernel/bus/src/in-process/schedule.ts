import { MinHeap } from "./min-heap.js";

/**
 * When each pending message becomes due again (redelivery after backoff, or ack deadline), with one
 * `setTimeout` for the earliest and none when nothing is pending. Entries are checked lazily against
 * `isCurrent(seq, at)`, so a message acked or rescheduled since needs no removal.
 */
export class Schedule {
  readonly #due = new MinHeap<number>((a, b) => a < b);
  readonly #timers = new MinHeap<{ seq: number; at: number }>((a, b) => a.at < b.at);
  readonly #isCurrent: (seq: number, at: number) => boolean;
  readonly #onTimer: () => void;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(isCurrent: (seq: number, at: number) => boolean, onTimer: () => void) {
    this.#isCurrent = isCurrent;
    this.#onTimer = onTimer;
  }

  add(seq: number, at: number): void {
    this.#timers.push({ seq, at });
  }

  /** Moves every entry whose time has come to the due queue (ordered by seq). */
  promote(now: number): void {
    for (let t = this.#timers.peek(); t && t.at <= now; t = this.#timers.peek()) {
      this.#timers.pop();
      if (this.#isCurrent(t.seq, t.at)) this.#due.push(t.seq);
    }
  }

  /** Lowest due seq; may be stale, the caller re-checks it. */
  peekDue(): number | undefined {
    return this.#due.peek();
  }

  popDue(): number | undefined {
    return this.#due.pop();
  }

  /** Arms the timer for the earliest current entry, or clears it when there is none or `active` is false. */
  arm(now: number, active: boolean, pending: () => Iterable<[number, number]>, pendingCount: number): void {
    if (this.#timers.size > 1024 && this.#timers.size > 4 * pendingCount) {
      this.#timers.clear();
      for (const [seq, at] of pending()) this.#timers.push({ seq, at });
    }
    for (let t = this.#timers.peek(); t && !this.#isCurrent(t.seq, t.at); t = this.#timers.peek()) {
      this.#timers.pop();
    }
    const next = this.#timers.peek();
    if (!next || !active) {
      this.clear();
      return;
    }
    if (this.#timer && this.#timerAt === next.at) return;
    this.clear();
    this.#timerAt = next.at;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#onTimer();
      },
      Math.max(0, next.at - now),
    );
    this.#timer.unref();
  }

  clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }
}
