import type { PreparedContext } from "./boundary.js";

/** A prepared context, or why preparing it failed (reported to the invocation that takes it). */
export type Prepared = { ok: true; context: PreparedContext } | { ok: false; error: unknown };

/** A context being prepared; `ready` is set once it is (the outcome `preparing` resolves with). */
interface Spare {
  preparing: Promise<Prepared>;
  ready?: Prepared;
}

/**
 * Spare contexts of one isolate, prepared ahead of the invocations that will take them (ADR 038). Each is
 * taken by exactly one invocation and discarded after it: nothing one invocation leaves behind (globals,
 * prototypes, closures) can reach another. `refill` runs after an invocation, off its critical path; an
 * invocation that finds the pool empty prepares its own context, as if there were no pool.
 */
export class ContextPool {
  private readonly spares: Spare[] = [];
  private closed = false;
  private filling = false;

  constructor(
    private readonly size: number,
    private readonly prepare: () => Promise<PreparedContext>,
  ) {}

  /**
   * The oldest spare — itself when it is ready (the invocation starts without waiting a turn), else the
   * promise of one still being prepared — or a context prepared now.
   */
  take(): Prepared | Promise<Prepared> {
    const spare = this.spares.shift() ?? this.start();
    return spare.ready ?? spare.preparing;
  }

  /**
   * Tops the pool up to its size, one context at a time (each preparation queues behind the isolate's other
   * work, so they are not stacked up front); stops at a failed preparation — a plugin whose top level
   * fails is not run again until an invocation asks for it.
   */
  refill(): void {
    if (this.closed || this.filling || this.spares.length >= this.size) return;
    this.filling = true;
    const spare = this.start();
    this.spares.push(spare);
    void spare.preparing.then((p) => {
      this.filling = false;
      if (p.ok) this.refill();
    });
  }

  /** Discards the spares; later `refill`s do nothing. */
  close(): void {
    this.closed = true;
    for (const spare of this.spares.splice(0)) {
      void spare.preparing.then((p) => {
        if (p.ok) p.context.discard();
      });
    }
  }

  private start(): Spare {
    const spare: Spare = {
      preparing: this.prepare().then(
        (context): Prepared => ({ ok: true, context }),
        (error: unknown): Prepared => ({ ok: false, error }),
      ),
    };
    void spare.preparing.then((p) => {
      spare.ready = p;
    });
    return spare;
  }
}
