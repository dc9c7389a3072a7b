import { uniqueName } from "@latchflow/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { Delivery, EventBus, EventEnvelope, Subscription } from "../src/index.js";
import { subjectFilter } from "../src/index.js";
import type { Logger } from "../src/logger.js";
import { bundleCreated, captureLogger, sleep, tally, userCreated, waitFor } from "./helpers.js";

/**
 * Opens the bus persisted under `key`; opening the same key again (after `close()`) must see the same
 * log and durable consumers, as a restarted process would.
 */
export type BusFactory = (key: string, options?: { logger?: Logger }) => Promise<EventBus>;

interface Call {
  id: string;
  attempt: number;
  subject: string;
  event: EventEnvelope;
  at: number;
}

function recorder(behaviour: (event: EventEnvelope, delivery: Delivery) => Promise<void> | void = () => {}) {
  const calls: Call[] = [];
  const handler = async (event: EventEnvelope, delivery: Delivery): Promise<void> => {
    calls.push({ id: event.id, attempt: delivery.attempt, subject: delivery.subject, event, at: Date.now() });
    await behaviour(event, delivery);
  };
  return { calls, handler, ids: () => calls.map((c) => c.id) };
}

const FAST = { initialBackoffMs: 30, maxBackoffMs: 200, ackWaitMs: 2_000 };

/** The one conformance suite every EventBus implementation must pass. */
export function runBusConformance(name: string, factory: BusFactory): void {
  describe(`EventBus conformance: ${name}`, () => {
    const open: EventBus[] = [];
    const subs: Subscription[] = [];
    const openBus = async (key: string, logger?: Logger) => {
      const bus = await factory(key, logger ? { logger } : undefined);
      open.push(bus);
      return bus;
    };
    const subscribe = async (bus: EventBus, ...args: Parameters<EventBus["subscribe"]>) => {
      const sub = await bus.subscribe(...args);
      subs.push(sub);
      return sub;
    };

    afterEach(async () => {
      await Promise.all(subs.splice(0).map((s) => s.stop()));
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    it("delivers the exact envelope once and keeps it acked past the ack wait", async () => {
      const bus = await openBus(uniqueName("bus"));
      const rec = recorder();
      await subscribe(bus, { consumer: "c1", filter: "lf.>", ...FAST, ackWaitMs: 300 }, rec.handler);
      const event = {
        ...bundleCreated("acme", "req-123"),
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      };
      await bus.publish(event);
      await waitFor(() => rec.calls.length === 1, "first delivery");
      await sleep(900);
      expect(rec.calls).toHaveLength(1);
      expect(rec.calls[0]).toMatchObject({
        id: event.id,
        attempt: 1,
        subject: "lf.acme.bundles.bundle.created",
      });
      expect(rec.calls[0]!.event).toEqual(event);
      await bus.ping();
    });

    it("redelivers after a throw, with attempt 2 after the backoff, then stops", async () => {
      const bus = await openBus(uniqueName("bus"));
      const rec = recorder((_e, d) => {
        if (d.attempt === 1) throw new Error("transient");
      });
      await subscribe(bus, { consumer: "c1", filter: "lf.>", ...FAST, initialBackoffMs: 150 }, rec.handler);
      const event = bundleCreated();
      await bus.publish(event);
      await waitFor(() => rec.calls.length === 2, "redelivery");
      await sleep(500);
      expect(rec.calls.map((c) => [c.id, c.attempt])).toEqual([
        [event.id, 1],
        [event.id, 2],
      ]);
      expect(rec.calls[1]!.at - rec.calls[0]!.at).toBeGreaterThanOrEqual(120);
    });

    it("resumes a durable consumer after a restart: unacked redelivered, acked never again", async () => {
      const key = uniqueName("bus");
      // A long backoff keeps redeliveries out of the moment the first process closes.
      const options = { consumer: "worker", filter: "lf.>", ...FAST, initialBackoffMs: 600 };
      const bus1 = await openBus(key);
      const events = Array.from({ length: 6 }, () => bundleCreated());
      for (const e of events) await bus1.publish(e);
      const acked: string[] = [];
      const first = recorder((e) => {
        if (acked.length >= 3) throw new Error("process dies before ack");
        acked.push(e.id);
      });
      await subscribe(bus1, options, first.handler);
      await waitFor(() => first.calls.length === 6, "every event seen once");
      await bus1.close();

      const bus2 = await openBus(key);
      const late = bundleCreated();
      await bus2.publish(late);
      const second = recorder();
      await subscribe(bus2, options, second.handler);
      const expected = [...events.slice(3).map((e) => e.id), late.id].sort();
      await waitFor(
        () => expected.every((id) => second.ids().includes(id)),
        "the unacked events and the new one",
      );
      await sleep(300);
      expect(first.calls.map((c) => [c.id, c.attempt])).toEqual(events.map((e) => [e.id, 1]));
      expect(acked).toEqual(events.slice(0, 3).map((e) => e.id));
      expect(second.ids().sort()).toEqual(expected);
      const byId = (x: [string, number], y: [string, number]) => x[0].localeCompare(y[0]);
      expect(second.calls.map((c): [string, number] => [c.id, c.attempt]).sort(byId)).toEqual(
        [[late.id, 1] as [string, number], ...events.slice(3).map((e): [string, number] => [e.id, 2])].sort(
          byId,
        ),
      );
    });

    it("close() waits for a running handler, and its ack survives a restart", async () => {
      const key = uniqueName("bus");
      const bus1 = await openBus(key);
      let finished = false;
      const first = recorder(async () => {
        await sleep(150);
        finished = true;
      });
      await subscribe(bus1, { consumer: "worker", filter: "lf.>", ...FAST }, first.handler);
      const event = bundleCreated();
      await bus1.publish(event);
      await waitFor(() => first.calls.length === 1, "delivery");
      await bus1.close();
      expect(finished).toBe(true);

      const bus2 = await openBus(key);
      const marker = bundleCreated();
      await bus2.publish(marker);
      const second = recorder();
      await subscribe(bus2, { consumer: "worker", filter: "lf.>", ...FAST }, second.handler);
      await waitFor(() => second.calls.length >= 1, "marker");
      await sleep(200);
      expect(second.ids()).toEqual([marker.id]);
    });

    it("splits one consumer's events between subscribers sharing its name (queue group)", async () => {
      const bus = await openBus(uniqueName("bus"));
      const a = recorder(() => sleep(5));
      const b = recorder(() => sleep(5));
      await subscribe(bus, { consumer: "group", filter: "lf.>", ...FAST }, a.handler);
      await subscribe(bus, { consumer: "group", filter: "lf.>", ...FAST }, b.handler);
      const events = Array.from({ length: 20 }, () => bundleCreated());
      for (const e of events) await bus.publish(e);
      await waitFor(() => a.calls.length + b.calls.length >= 20, "all 20 events");
      await sleep(200);
      const all = [...a.ids(), ...b.ids()];
      expect(all).toHaveLength(20);
      expect([...tally(all).values()].every((n) => n === 1)).toBe(true);
      expect(new Set(all)).toEqual(new Set(events.map((e) => e.id)));
      expect(a.calls.length).toBeGreaterThan(0);
      expect(b.calls.length).toBeGreaterThan(0);
    });

    it("fans out: every consumer name gets every event, also one created after publishing", async () => {
      const bus = await openBus(uniqueName("bus"));
      const events = Array.from({ length: 5 }, () => bundleCreated());
      const early = recorder();
      await subscribe(bus, { consumer: "early", filter: "lf.>", ...FAST }, early.handler);
      for (const e of events) await bus.publish(e);
      await waitFor(() => early.calls.length === 5, "early consumer");
      const late = recorder();
      await subscribe(bus, { consumer: "late", filter: "lf.>", ...FAST }, late.handler);
      await waitFor(() => late.calls.length === 5, "late consumer from the start of the log");
      expect(early.ids()).toEqual(events.map((e) => e.id));
      expect(late.ids()).toEqual(events.map((e) => e.id));
    });

    it("ephemeral: each subscriber its own consumer from the next event on; deleted when it stops", async () => {
      const bus = await openBus(uniqueName("bus"));
      const before = bundleCreated();
      await bus.publish(before);
      const one = recorder();
      const two = recorder();
      const subOne = await subscribe(
        bus,
        { consumer: "eph-1", filter: "lf.>", ...FAST, ephemeral: true },
        one.handler,
      );
      await subscribe(bus, { consumer: "eph-2", filter: "lf.>", ...FAST, ephemeral: true }, two.handler);
      // never shared: a second subscriber on the same name is refused, ephemeral or durable
      await expect(
        bus.subscribe({ consumer: "eph-1", filter: "lf.>", ephemeral: true }, async () => {}),
      ).rejects.toThrow(/eph-1/);
      await expect(bus.subscribe({ consumer: "eph-1", filter: "lf.>" }, async () => {})).rejects.toThrow(
        /eph-1/,
      );
      const after = [bundleCreated(), bundleCreated()];
      for (const e of after) await bus.publish(e);
      await waitFor(() => one.calls.length === 2 && two.calls.length === 2, "both ephemeral subscribers");
      expect(one.ids()).toEqual(after.map((e) => e.id));
      expect(two.ids()).toEqual(after.map((e) => e.id));

      await subOne.stop();
      // deleted: the name is free again and keeps no cursor (a durable of that name starts at the log's start)
      const durable = recorder();
      await subscribe(bus, { consumer: "eph-1", filter: "lf.>", ...FAST }, durable.handler);
      await waitFor(() => durable.calls.length === 3, "durable from the start");
      expect(durable.ids()).toEqual([before, ...after].map((e) => e.id));
    });

    it("delivers an event id published twice only once", async () => {
      const bus = await openBus(uniqueName("bus"));
      const rec = recorder();
      await subscribe(bus, { consumer: "c1", filter: "lf.>", ...FAST }, rec.handler);
      const event = bundleCreated();
      const marker = bundleCreated();
      await bus.publish(event);
      await bus.publish({ ...event });
      await bus.publish(marker);
      await waitFor(() => rec.ids().includes(marker.id), "marker");
      await sleep(200);
      expect(rec.ids()).toEqual([event.id, marker.id]);
    });

    it("dead-letters after maxDeliver failures: logged, never delivered again (even after restart)", async () => {
      const key = uniqueName("bus");
      const { logger, lines } = captureLogger();
      const bus1 = await openBus(key, logger);
      const poison = bundleCreated();
      const rec = recorder((e) => {
        if (e.id === poison.id) throw new Error("poison");
      });
      const options = { consumer: "c1", filter: "lf.>", ...FAST, initialBackoffMs: 20, maxDeliver: 3 };
      await subscribe(bus1, options, rec.handler);
      await bus1.publish(poison);
      await waitFor(() => rec.calls.length === 3, "three attempts");
      await waitFor(() => lines.some((l) => l.msg === "event dead-lettered"), "dead-letter log");
      await sleep(400);
      expect(rec.calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
      const dead = lines.filter((l) => l.msg === "event dead-lettered");
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ eventId: poison.id, consumer: "c1", attempts: 3 });
      await bus1.close();

      const bus2 = await openBus(key);
      const marker = bundleCreated();
      await bus2.publish(marker);
      const after = recorder();
      await subscribe(bus2, options, after.handler);
      await waitFor(() => after.calls.length >= 1, "marker after restart");
      await sleep(200);
      expect(after.ids()).toEqual([marker.id]);
    });

    it("filters: lf.*.bundles.> gets no auth events; tenant filters isolate tenants", async () => {
      const bus = await openBus(uniqueName("bus"));
      const bundles = recorder();
      const acmeAuth = recorder();
      await subscribe(bus, { consumer: "bundles", filter: "lf.*.bundles.>", ...FAST }, bundles.handler);
      const authFilter = subjectFilter({ tenant: "acme", domain: "auth" });
      await subscribe(bus, { consumer: "acme-auth", filter: authFilter, ...FAST }, acmeAuth.handler);
      const u1 = userCreated("acme");
      const u2 = userCreated("globex");
      const b1 = bundleCreated("acme");
      const b2 = bundleCreated("globex");
      for (const e of [u1, u2, b1, b2]) await bus.publish(e);
      await waitFor(() => bundles.calls.length >= 2 && acmeAuth.calls.length >= 1, "filtered deliveries");
      await sleep(200);
      expect(bundles.ids()).toEqual([b1.id, b2.id]);
      expect(bundles.calls.map((c) => c.subject)).toEqual([
        "lf.acme.bundles.bundle.created",
        "lf.globex.bundles.bundle.created",
      ]);
      expect(acmeAuth.ids()).toEqual([u1.id]);
    });

    it("delivers in publish order to a single subscriber", async () => {
      const bus = await openBus(uniqueName("bus"));
      const events = Array.from({ length: 30 }, () => bundleCreated());
      for (const e of events.slice(0, 10)) await bus.publish(e);
      const rec = recorder();
      await subscribe(bus, { consumer: "c1", filter: "lf.>", ...FAST }, rec.handler);
      for (const e of events.slice(10)) await bus.publish(e);
      await waitFor(() => rec.calls.length === 30, "30 events");
      expect(rec.ids()).toEqual(events.map((e) => e.id));
    });

    it("does not let a failing event block later ones while it waits for its backoff", async () => {
      const bus = await openBus(uniqueName("bus"));
      const events = Array.from({ length: 5 }, () => bundleCreated());
      const rec = recorder((e, d) => {
        if (e.id === events[0]!.id && d.attempt === 1) throw new Error("transient");
      });
      for (const e of events) await bus.publish(e);
      await subscribe(bus, { consumer: "c1", filter: "lf.>", ...FAST, initialBackoffMs: 400 }, rec.handler);
      await waitFor(() => rec.calls.length === 6, "all events and the retry");
      expect(rec.calls.map((c) => [c.id, c.attempt])).toEqual([
        [events[0]!.id, 1],
        ...events.slice(1).map((e) => [e.id, 1]),
        [events[0]!.id, 2],
      ]);
    });

    it("redelivers to another subscriber when a handler holds a delivery past the ack wait", async () => {
      const bus = await openBus(uniqueName("bus"));
      const event = bundleCreated();
      const calls: Call[] = [];
      const slow = recorder(async (_e, d) => {
        if (d.attempt === 1) await sleep(1_500);
      });
      const handler = async (e: EventEnvelope, d: Delivery) => {
        await slow.handler(e, d);
        calls.push(slow.calls.at(-1)!);
      };
      const options = { consumer: "c1", filter: "lf.>", ...FAST, ackWaitMs: 300, initialBackoffMs: 1_000 };
      await subscribe(bus, options, handler);
      await subscribe(bus, options, handler);
      await bus.publish(event);
      await waitFor(() => slow.calls.length >= 2, "redelivery after the ack wait", 5_000);
      expect(slow.calls.map((c) => [c.id, c.attempt])).toEqual([
        [event.id, 1],
        [event.id, 2],
      ]);
      expect(slow.calls[1]!.at - slow.calls[0]!.at).toBeGreaterThanOrEqual(250);
      await waitFor(() => calls.length === 2, "both handlers done", 5_000);
    });

    it("stop() ends deliveries to that subscriber; the durable name carries on", async () => {
      const bus = await openBus(uniqueName("bus"));
      const a = recorder();
      const subA = await subscribe(bus, { consumer: "c1", filter: "lf.>", ...FAST }, a.handler);
      const e1 = bundleCreated();
      await bus.publish(e1);
      await waitFor(() => a.calls.length === 1, "first event");
      await subA.stop();
      const e2 = bundleCreated();
      await bus.publish(e2);
      const b = recorder();
      await subscribe(bus, { consumer: "c1", filter: "lf.>", ...FAST }, b.handler);
      await waitFor(() => b.calls.length === 1, "second event");
      await sleep(100);
      expect(a.ids()).toEqual([e1.id]);
      expect(b.ids()).toEqual([e2.id]);
    });

    it("rejects invalid input with clear errors", async () => {
      const bus = await openBus(uniqueName("bus"));
      await expect(bus.publish({ ...bundleCreated(), tenant: "Not Valid" })).rejects.toThrow(
        /Invalid tenant/,
      );
      await expect(bus.subscribe({ consumer: "c1", filter: "bundles.>" }, async () => {})).rejects.toThrow(
        /Invalid subject filter/,
      );
      await expect(bus.subscribe({ consumer: "a.b", filter: "lf.>" }, async () => {})).rejects.toThrow(
        /Invalid consumer name/,
      );
    });
  });
}
