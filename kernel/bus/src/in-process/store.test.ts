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
});
