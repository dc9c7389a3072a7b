import { describe, expect, it } from "vitest";
import { Slots } from "./slots.js";

describe("Slots", () => {
  it("lets `size` holders in at once and the others in the order they asked", async () => {
    const slots = new Slots(2);
    const a = slots.take();
    const b = slots.take();
    expect(a.granted).toBeUndefined();
    expect(b.granted).toBeUndefined();
    const order: string[] = [];
    const c = slots.take();
    const d = slots.take();
    void c.granted?.then(() => order.push("c"));
    void d.granted?.then(() => order.push("d"));
    await Promise.resolve();
    expect(order).toEqual([]);
    a.release();
    a.release(); // once per ticket: a second release frees nothing more
    await Promise.resolve();
    expect(order).toEqual(["c"]);
    b.release();
    await Promise.resolve();
    expect(order).toEqual(["c", "d"]);
  });

  it("skips a waiter that gave up, and frees the slot when nobody waits", async () => {
    const slots = new Slots(1);
    const held = slots.take();
    const gaveUp = slots.take();
    const next = slots.take();
    let nextIn = false;
    void next.granted?.then(() => {
      nextIn = true;
    });
    gaveUp.release(); // its deadline passed while it waited
    held.release();
    await Promise.resolve();
    expect(nextIn).toBe(true);
    next.release();
    expect(slots.take().granted).toBeUndefined(); // free again
  });

  it("refuses a size that is not a positive integer", () => {
    expect(() => new Slots(0)).toThrow(/Invalid slot count 0/);
    expect(() => new Slots(1.5)).toThrow(/Invalid slot count/);
  });
});
