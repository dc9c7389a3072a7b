import { describe, expect, it } from "vitest";
import type { PreparedContext } from "../src/boundary.js";
import { ContextPool, type Prepared } from "../src/context-pool.js";

// The pool alone, with stand-in contexts: what an invocation is handed and when (ADR 038, ADR 058).

interface Fake extends PreparedContext {
  n: number;
  discarded: boolean;
}

/** A `prepare` whose preparations the test completes (or fails) one by one, in order. */
function preparations() {
  const pending: { resolve: (c: Fake) => void; reject: (e: Error) => void }[] = [];
  let made = 0;
  const prepare = () =>
    new Promise<PreparedContext>((resolve, reject) => {
      pending.push({ resolve, reject });
    });
  const complete = async () => {
    const fake: Fake = {
      n: ++made,
      discarded: false,
      begin: () => {
        throw new Error("not used");
      },
      discard: () => {
        fake.discarded = true;
      },
    };
    pending.shift()?.resolve(fake);
    await new Promise((r) => setImmediate(r));
    return fake;
  };
  const fail = async () => {
    pending.shift()?.reject(new Error("top level threw"));
    await new Promise((r) => setImmediate(r));
  };
  return { prepare, complete, fail, waiting: () => pending.length };
}

const contextOf = (p: Prepared) => (p.ok ? (p.context as Fake) : undefined);

describe("context pool", () => {
  it("hands a ready spare out at once, to one taker only; the next taker waits for the next preparation", async () => {
    const prep = preparations();
    const pool = new ContextPool(1, prep.prepare);
    pool.refill();
    const first = await prep.complete();
    const taken = pool.take();
    expect(taken).not.toBeInstanceOf(Promise);
    expect(contextOf(taken as Prepared)).toBe(first);
    // the spare is gone: the next taker gets a context being prepared, never the same one
    const next = pool.take();
    expect(next).toBeInstanceOf(Promise);
    const second = await prep.complete();
    expect(contextOf(await next)).toBe(second);
    expect(second).not.toBe(first);
  });

  it("a spare still being prepared is handed out as its promise, and the taker gets that context", async () => {
    const prep = preparations();
    const pool = new ContextPool(1, prep.prepare);
    pool.refill();
    const taken = pool.take();
    expect(taken).toBeInstanceOf(Promise);
    const ctx = await prep.complete();
    expect(contextOf(await taken)).toBe(ctx);
  });

  it("a failed preparation goes to one taker as a failure, and the pool stops preparing", async () => {
    const prep = preparations();
    const pool = new ContextPool(1, prep.prepare);
    pool.refill();
    await prep.fail();
    const taken = pool.take();
    expect(taken).toMatchObject({
      ok: false,
      error: expect.objectContaining({ message: "top level threw" }),
    });
    pool.refill();
    expect(prep.waiting()).toBe(1); // the refill after a failure prepares once more, for the next taker only
  });

  it("close discards the spares, ready or still being prepared; later refills prepare nothing", async () => {
    const prep = preparations();
    const pool = new ContextPool(2, prep.prepare);
    pool.refill();
    const ready = await prep.complete(); // the pool chains the second preparation
    pool.close();
    const late = await prep.complete();
    expect(ready.discarded).toBe(true);
    expect(late.discarded).toBe(true);
    pool.refill();
    expect(prep.waiting()).toBe(0);
  });
});
