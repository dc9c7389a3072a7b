/** One place in the queue of {@link Slots}: granted at once or later, or given up before it was. */
export interface SlotTicket {
  /** Resolves once the slot is held; undefined when it was free at once (no turn is waited). */
  granted: Promise<void> | undefined;
  /** Frees the slot, or leaves the queue when it was not granted yet. Once per ticket. */
  release(): void;
}

interface Waiter {
  /** the slot was handed to it */
  holding: boolean;
  /** it gave up before that */
  gone: boolean;
  grant(): void;
}

/** At most `size` holders at once; the others wait in the order they asked. */
export class Slots {
  private held = 0;
  private readonly queue: Waiter[] = [];

  constructor(private readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`Invalid slot count ${size}: expected an integer >= 1`);
  }

  take(): SlotTicket {
    if (this.held < this.size) {
      this.held++;
      return { granted: undefined, release: once(() => this.free()) };
    }
    const waiter: Waiter = { holding: false, gone: false, grant: () => {} };
    const granted = new Promise<void>((resolve) => {
      waiter.grant = () => {
        waiter.holding = true;
        resolve();
      };
    });
    this.queue.push(waiter);
    return {
      granted,
      release: once(() => {
        if (waiter.holding) this.free();
        else waiter.gone = true;
      }),
    };
  }

  /** Hands the slot to the next waiter still waiting, or frees it. */
  private free(): void {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      if (next.gone) continue;
      next.grant();
      return;
    }
    this.held--;
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
