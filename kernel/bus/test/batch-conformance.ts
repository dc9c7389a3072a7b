import { uniqueName } from "@latchflow/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { BatchItem, EventBus, Subscription } from "../src/index.js";
import type { BusFactory } from "./conformance.js";
import { bundleCreated, sleep, waitFor } from "./helpers.js";

const FAST = { initialBackoffMs: 30, maxBackoffMs: 200, ackWaitMs: 2_000 };

/** `subscribeBatch` on every EventBus implementation: batch sizes, order, ack and redelivery of a batch. */
export function runBatchConformance(name: string, factory: BusFactory): void {
  describe(`EventBus batch conformance: ${name}`, () => {
    const open: EventBus[] = [];
    const subs: Subscription[] = [];
    const openBus = async (key: string) => {
      const bus = await factory(key);
      open.push(bus);
      return bus;
    };
    const subscribe = async (bus: EventBus, ...args: Parameters<EventBus["subscribeBatch"]>) => {
      const sub = await bus.subscribeBatch(...args);
      subs.push(sub);
      return sub;
    };

    afterEach(async () => {
      await Promise.all(subs.splice(0).map((s) => s.stop()));
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    it("hands a backlog over in batches of at most maxBatch, in publish order, each acked once", async () => {
      const key = uniqueName("batch");
      const bus = await openBus(key);
      const events = Array.from({ length: 45 }, () => bundleCreated());
      for (const e of events) await bus.publish(e);
      const batches: string[][] = [];
      const options = { consumer: "c1", filter: "lf.>", maxBatch: 10, ...FAST, ackWaitMs: 400 };
      const sub = await subscribe(bus, options, async (items) => {
        batches.push(items.map((i) => i.event.id));
        await sleep(5);
      });
      await waitFor(() => batches.flat().length === events.length, "every event");
      await sleep(900); // past the ack wait: nothing comes back
      expect(batches.flat()).toEqual(events.map((e) => e.id));
      expect(Math.max(...batches.map((b) => b.length))).toBe(10);
      expect(batches.length).toBeLessThan(events.length);
      await sub.stop();
      // a later subscriber under the same name gets nothing of what was acked
      const again: string[] = [];
      await subscribe(bus, options, async (items) => {
        again.push(...items.map((i) => i.event.id));
      });
      const late = bundleCreated();
      await bus.publish(late);
      await waitFor(() => again.length > 0, "the new event");
      await sleep(200);
      expect(again).toEqual([late.id]);
    });

    it("delivers one event at once under a trickle (never waits to fill a batch)", async () => {
      const bus = await openBus(uniqueName("batch"));
      const seen: { id: string; at: number }[] = [];
      await subscribe(bus, { consumer: "c1", filter: "lf.>", maxBatch: 100, ...FAST }, async (items) => {
        for (const i of items) seen.push({ id: i.event.id, at: Date.now() });
      });
      const event = bundleCreated();
      const t = Date.now();
      await bus.publish(event);
      await waitFor(() => seen.length === 1, "the event");
      expect(seen[0]!.id).toBe(event.id);
      expect(seen[0]!.at - t).toBeLessThan(1_000);
    });

    it("redelivers every event of a batch that throws (attempt 2), losing and duplicating none", async () => {
      const bus = await openBus(uniqueName("batch"));
      const events = Array.from({ length: 8 }, () => bundleCreated());
      for (const e of events) await bus.publish(e);
      const calls: BatchItem[][] = [];
      let failed = false;
      await subscribe(
        bus,
        { consumer: "c1", filter: "lf.>", maxBatch: 8, ...FAST, initialBackoffMs: 100 },
        async (items) => {
          calls.push([...items]);
          if (!failed) {
            failed = true;
            throw new Error("the database went away");
          }
        },
      );
      // the failed batch is whatever was ready (maybe not all 8): wait until every event was handled after it
      const handledAfter = () =>
        new Set(
          calls
            .slice(1)
            .flat()
            .map((i) => i.event.id),
        );
      await waitFor(() => handledAfter().size === events.length, "redelivery");
      await sleep(500);
      const first = calls[0]!;
      expect(first.every((i) => i.delivery.attempt === 1)).toBe(true);
      // after the failed batch: every event handled exactly once, the failed batch's as attempt 2
      const after = calls.slice(1).flat();
      const ids = (items: BatchItem[]) => items.map((i) => i.event.id).sort();
      expect(ids(after)).toEqual(events.map((e) => e.id).sort());
      expect(ids(after.filter((i) => i.delivery.attempt === 2))).toEqual(ids(first));
    });

    it("rejects a maxBatch out of range", async () => {
      const bus = await openBus(uniqueName("batch"));
      for (const maxBatch of [0, 1.5, 1001]) {
        await expect(
          bus.subscribeBatch({ consumer: "c1", filter: "lf.>", maxBatch }, async () => {}),
        ).rejects.toThrow(/Invalid maxBatch/);
      }
    });
  });
}
