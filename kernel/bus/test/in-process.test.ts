import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, describe, expect, it } from "vitest";
import { createInProcessBus } from "../src/index.js";
import { runBatchConformance } from "./batch-conformance.js";
import { runBusConformance } from "./conformance.js";
import {
  bundleCreated,
  captureLogger,
  expectOnlyNewEventAfterRestart,
  publishWithOneHeld,
  sleep,
  userCreated,
  waitFor,
} from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "lf-bus-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runBusConformance("in-process (SQLite file)", async (key, options) =>
  createInProcessBus({ path: join(dir, `${key}.db`), ...options }),
);

describe("in-process bus specifics", () => {
  it("redelivers a delivery that was in flight when its process died", async () => {
    const path = join(dir, "crash.db");
    const crashed = createInProcessBus({ path });
    const event = bundleCreated();
    await crashed.publish(event);
    let release!: () => void;
    const hung = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen: number[] = [];
    await crashed.subscribe({ consumer: "c1", filter: "lf.>" }, async (_e, d) => {
      seen.push(d.attempt);
      await hung;
      throw new Error("never acks");
    });
    await waitFor(() => seen.length === 1, "first delivery");

    // A new process opens the same file while the old one is stuck mid-handler.
    const restarted = createInProcessBus({ path });
    const calls: [string, number][] = [];
    const sub = await restarted.subscribe({ consumer: "c1", filter: "lf.>" }, async (e, d) => {
      calls.push([e.id, d.attempt]);
    });
    await waitFor(() => calls.length === 1, "redelivery after restart");
    expect(calls).toEqual([[event.id, 2]]);
    release();
    await crashed.close();
    await sub.stop();
    await restarted.close();
  });

  it("keeps a filtered consumer's place across restarts when most messages do not match", async () => {
    const path = join(dir, "skips.db");
    const options = { consumer: "bundles", filter: "lf.*.bundles.>" };
    const bus1 = createInProcessBus({ path });
    const wanted: string[] = [];
    for (let i = 0; i < 600; i++) {
      if (i % 250 === 0) {
        const e = bundleCreated();
        wanted.push(e.id);
        await bus1.publish(e);
      } else {
        await bus1.publish(userCreated());
      }
    }
    const got1: string[] = [];
    await bus1.subscribe(options, async (e) => {
      got1.push(e.id);
    });
    await waitFor(() => got1.length === 3, "three bundle events");
    await bus1.close();

    const bus2 = createInProcessBus({ path });
    const late = bundleCreated();
    await bus2.publish(late);
    const got2: string[] = [];
    await bus2.subscribe(options, async (e) => {
      got2.push(e.id);
    });
    await waitFor(() => got2.length === 1, "the new bundle event");
    await sleep(50);
    expect(got1).toEqual(wanted);
    expect(got2).toEqual([late.id]);
    await bus2.close();
  });

  it("works in memory without a path", async () => {
    const bus = createInProcessBus();
    const got: string[] = [];
    await bus.subscribe({ consumer: "c1", filter: "lf.>" }, async (e) => {
      got.push(e.id);
    });
    const event = bundleCreated();
    await bus.publish(event);
    await waitFor(() => got.length === 1, "delivery");
    expect(got).toEqual([event.id]);
    await bus.close();
    await expect(bus.publish(bundleCreated())).rejects.toThrow(/closed/);
  });

  it("removes consumed events after the retention, keeps what a consumer still needs, and goes on after a restart", async () => {
    const path = join(dir, "retention.db");
    const { logger, lines } = captureLogger();
    const bus = createInProcessBus({ path, logger, retentionMs: 0, pruneEveryMs: 20 });
    const { events, release } = await publishWithOneHeld(bus);
    const stored = () => {
      const db = new Database(path, { readonly: true });
      const ids = (
        db.prepare("SELECT event_id AS id FROM bus_messages ORDER BY seq").all() as { id: string }[]
      ).map((r) => r.id);
      db.close();
      return ids;
    };
    // the slow consumer holds the user event in flight, and its cursor holds back what follows it
    await waitFor(() => stored().length === 2, "the first two removed");
    expect(stored()).toEqual([events[2]!.id, events[3]!.id]);
    release();
    // the user event goes once acked; the last one waits for the slow consumer to record that it skipped it
    // (skips of unmatched messages are recorded lazily, at most a read batch behind)
    await waitFor(() => stored().length === 1, "the user event removed once acked");
    expect(stored()).toEqual([events[3]!.id]);
    expect(lines.some((l) => l.msg === "consumed events removed from the bus log")).toBe(true);
    await bus.close();

    await expectOnlyNewEventAfterRestart(createInProcessBus({ path, retentionMs: 0, pruneEveryMs: 20 }));
  });

  // Latency itself is measured by `pnpm bench` (timed assertions are flaky on shared machines).
  it("delivers to an idle subscriber without polling and leaves no timer behind", async () => {
    const bus = createInProcessBus({ path: join(dir, "latency.db") });
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    let delivered: (() => void) | undefined;
    let calls = 0;
    await bus.subscribe({ consumer: "c1", filter: "lf.>" }, async () => {
      calls++;
      delivered?.();
    });
    for (let i = 0; i < 300; i++) {
      const done = new Promise<void>((resolve) => {
        delivered = resolve;
      });
      await bus.publish(bundleCreated());
      await done;
    }
    expect(calls).toBe(300);
    await sleep(20);
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    expect(timersAfter).toBeLessThanOrEqual(timersBefore);
    await bus.close();
  });
});

runBatchConformance("in-process (SQLite file)", async (key, options) =>
  createInProcessBus({ path: join(dir, `batch-${key}.db`), ...options }),
);
