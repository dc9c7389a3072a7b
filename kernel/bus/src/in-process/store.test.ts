import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";
import { afterEach, describe, expect, it } from "vitest";
import { BusStore } from "./store.js";

describe("BusStore: a batch's bookkeeping in one transaction", () => {
  const dirs: string[] = [];
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), "busstore-"));
    dirs.push(dir);
    return join(dir, "bus.db");
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("records every delivery of a batch and moves the cursor to the highest first delivery", async () => {
    const path = fresh();
    const store = new BusStore(path);
    for (let i = 1; i <= 4; i++) store.append(`e${i}`, "s", "{}");
    store.openConsumer("c", "s", Date.now());
    store.delivered(
      "c",
      [
        { seq: 1, attempts: 1 },
        { seq: 2, attempts: 1 },
        { seq: 3, attempts: 1 },
      ],
      Date.now() + 60_000,
      3,
    );
    await store.close();
    const again = new BusStore(path);
    const record = again.openConsumer("c", "s", Date.now());
    expect(record.cursor).toBe(3);
    expect(record.pending.map((p) => p.seq)).toEqual([1, 2, 3]);
    await again.close();
  });

  it("commits a batch's outcomes together, or none of them when the batch throws", async () => {
    const path = fresh();
    const store = new BusStore(path);
    for (let i = 1; i <= 3; i++) store.append(`e${i}`, "s", "{}");
    store.openConsumer("c", "s", Date.now());
    const picks = [1, 2, 3].map((seq) => ({ seq, attempts: 1 }));
    store.delivered("c", picks, Date.now() + 60_000, 3);
    expect(() =>
      store.together(() => {
        store.ack("c", [1]);
        throw new Error("mid-batch");
      }),
    ).toThrow("mid-batch");
    expect(store.openConsumer("c", "s", Date.now()).pending.map((p) => p.seq)).toEqual([1, 2, 3]);
    store.together(() => {
      store.ack("c", [1]);
      store.ack("c", [3]);
    });
    expect(store.openConsumer("c", "s", Date.now()).pending.map((p) => p.seq)).toEqual([2]);
    await store.close();
  });
  it("records and acks a batch bigger than one multi-row statement, and acks a part of it", async () => {
    const store = new BusStore(fresh());
    const n = 150;
    for (let i = 1; i <= n; i++) store.append(`e${i}`, "s", "{}");
    store.openConsumer("c", "s", Date.now());
    const seqs = Array.from({ length: n }, (_, i) => i + 1);
    store.delivered(
      "c",
      seqs.map((seq) => ({ seq, attempts: 2 })),
      Date.now() + 60_000,
      n,
    );
    const record = store.openConsumer("c", "s", Date.now());
    expect(record.cursor).toBe(n);
    expect(record.pending.map((p) => p.seq)).toEqual(seqs);
    expect(new Set(record.pending.map((p) => p.attempts))).toEqual(new Set([2]));
    store.ack("c", [1, 3]);
    expect(store.openConsumer("c", "s", Date.now()).pending).toHaveLength(n - 2);
    store.ack("c", seqs);
    expect(store.openConsumer("c", "s", Date.now()).pending).toEqual([]);
    await store.close();
  });

  it("reads new messages from its memory of the log's tail exactly as the log has them, older ones from the file", async () => {
    const path = fresh();
    const first = new BusStore(path);
    for (let i = 1; i <= 3; i++) first.append(`old${i}`, "s.old", `{"n":${i}}`);
    await first.close();
    // reopened: the messages before it are read from the file
    const store = new BusStore(path);
    expect(store.readAfter(0, 10).map((m) => m.eventId)).toEqual(["old1", "old2", "old3"]);
    const total = 1300; // more than the tail keeps: the oldest of these leave it
    for (let i = 1; i <= total; i++) store.append(`e${i}`, `s.${i % 3}`, `{"i":${i}}`);
    expect(store.append("e5", "s.2", "{}")).toBeUndefined(); // a duplicate is not in the log, nor in the tail
    const reader = new BusStore(path); // a second handle on the file: the log as stored
    for (const [after, limit] of [
      [0, 5],
      [2, 256],
      [700, 256],
      [1000, 3],
      [1290, 256],
      [1303, 5],
      [1400, 5],
    ] as const) {
      expect(store.readAfter(after, limit)).toEqual(reader.readAfter(after, limit));
    }
    expect(store.readAfter(1290, 256).map((m) => m.seq)).toEqual(
      Array.from({ length: 13 }, (_, i) => 1291 + i),
    );
    await reader.close();
    await store.close();
  });

  it("prunes only old messages that every consumer is past and none has pending, dead letters included", async () => {
    const store = new BusStore(fresh());
    for (let i = 1; i <= 6; i++) store.append(`e${i}`, "s", "{}");
    store.openConsumer("a", "s", Date.now());
    store.openConsumer("b", "s", Date.now());
    store.delivered(
      "a",
      [1, 2, 3, 4, 5].map((seq) => ({ seq, attempts: 1 })),
      Date.now() + 60_000,
      5,
    );
    store.ack("a", [1, 3, 4, 5]); // 2 still in flight
    store.delivered(
      "b",
      [1, 2, 3, 4].map((seq) => ({ seq, attempts: 1 })),
      Date.now() + 60_000,
      4,
    );
    store.ack("b", [1, 2, 3]);
    store.markDead("b", 4); // 4 dead-lettered for b: kept for inspection
    expect(store.prune(0, 100)).toBe(0); // nothing is old enough
    expect(store.prune(Date.now() + 1, 100)).toBe(2); // 1 and 3: 2 pending for a, 4 dead for b, 5–6 ahead of b
    expect(store.readAfter(0, 10).map((m) => m.seq)).toEqual([2, 4, 5, 6]);
    store.ack("a", [2]);
    expect(store.prune(Date.now() + 1, 1)).toBe(1); // at most `limit`
    expect(store.readAfter(0, 10).map((m) => m.seq)).toEqual([4, 5, 6]);
    await store.close();
  });

  it("with no consumer prunes every old message, and seqs go on from the highest ever given", async () => {
    const path = fresh();
    const store = new BusStore(path);
    for (let i = 1; i <= 3; i++) store.append(`e${i}`, "s", "{}");
    expect(store.prune(Date.now() + 1, 100)).toBe(3);
    expect(store.readAfter(0, 10)).toEqual([]);
    expect(store.lastSeq()).toBe(3);
    await store.close();
    const again = new BusStore(path);
    expect(again.lastSeq()).toBe(3);
    expect(again.append("e4", "s", "{}")).toBe(4);
    await again.close();
  });

  it("removes an ephemeral consumer left by a process that is gone when the file opens again", async () => {
    const path = fresh();
    const store = new BusStore(path);
    store.append("e1", "s", "{}");
    store.openConsumer("durable", "s", Date.now());
    store.addConsumer("gone", "s", 0);
    store.delivered("gone", [{ seq: 1, attempts: 1 }], Date.now() + 60_000, 1);
    await store.close(); // killed: its ephemeral consumer was never dropped
    const again = new BusStore(path);
    expect(() => again.addConsumer("gone", "s", 1)).not.toThrow(); // the name is free again
    again.dropConsumer("gone");
    expect(again.openConsumer("durable", "s", Date.now()).cursor).toBe(0);
    expect(again.prune(Date.now() + 1, 10)).toBe(0); // the durable consumer still needs e1
    await again.close();
  });

  it("upgrades a file written before consumers were marked ephemeral", async () => {
    const path = fresh();
    const old = new Database(path);
    old.exec(`CREATE TABLE bus_consumers (name TEXT PRIMARY KEY, filter TEXT NOT NULL, cursor INTEGER NOT NULL DEFAULT 0);
      INSERT INTO bus_consumers (name, filter, cursor) VALUES ('audit', 'lf.>', 0), ('gateway-identity-01J0', 'lf.*.auth.>', 0);`);
    old.close();
    const store = new BusStore(path);
    store.append("e1", "s", "{}");
    expect(store.prune(Date.now() + 1, 10)).toBe(0); // audit (durable) has not read e1
    store.skipTo("audit", 1);
    expect(store.prune(Date.now() + 1, 10)).toBe(1); // the crashed gateway's consumer no longer holds it back
    await store.close();
  });
});
