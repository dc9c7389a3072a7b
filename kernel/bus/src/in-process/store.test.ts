import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
});
