import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { ErrorCode } from "@latchflow/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlobDriver } from "../src/drivers/blob-driver.js";

export interface DriverHarness {
  driver: BlobDriver;
  /** keys of whatever the backend holds that is not a finished object (temp files, multipart uploads) */
  leftovers(): Promise<string[]>;
  /** makes every current leftover look `ageMs` old */
  age?(ageMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** A readable that yields `parts` and then fails (a client that went away mid-upload). */
function failingAfter(parts: Buffer[]): Readable {
  async function* gen() {
    for (const p of parts) yield p;
    await new Promise((r) => setTimeout(r, 10));
    throw new Error("client went away");
  }
  return Readable.from(gen());
}

async function keys(driver: BlobDriver, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const o of driver.list(prefix)) out.push(o.key);
  return out.sort();
}

/** One conformance suite for every BlobDriver implementation. */
export function driverConformance(name: string, start: () => Promise<DriverHarness>): void {
  describe(`blob driver conformance: ${name}`, () => {
    let h: DriverHarness;
    beforeAll(async () => {
      h = await start();
    });
    afterAll(async () => {
      await h?.stop();
    });

    it("puts a stream and reads it back whole, counting the bytes", async () => {
      const data = randomBytes(3 * 1024 * 1024 + 123);
      const parts = [data.subarray(0, 100), data.subarray(100, 2_000_000), data.subarray(2_000_000)];
      expect(await h.driver.put("t1/whole", Readable.from(parts))).toEqual({ size: data.length });
      expect((await buffer(await h.driver.read("t1/whole"))).equals(data)).toBe(true);
      expect(await h.driver.stat("t1/whole")).toEqual({ size: data.length });
    });

    it("stores empty objects", async () => {
      expect(await h.driver.put("t1/empty", Readable.from([]))).toEqual({ size: 0 });
      expect(await h.driver.stat("t1/empty")).toEqual({ size: 0 });
      expect((await buffer(await h.driver.read("t1/empty"))).length).toBe(0);
    });

    it("reads byte ranges [start, end), clipping at the end", async () => {
      const data = randomBytes(200_000);
      await h.driver.put("t1/ranged", Readable.from([data]));
      for (const [start, end] of [
        [0, 1],
        [199_999, 200_000],
        [65_530, 65_546],
        [0, 200_000],
        [123, 150_000],
      ] as const) {
        const got = await buffer(await h.driver.read("t1/ranged", { start, end }));
        expect(got.equals(data.subarray(start, end)), `${start}-${end}`).toBe(true);
      }
      expect((await buffer(await h.driver.read("t1/ranged", { start: 199_990, end: 300_000 }))).length).toBe(
        10,
      );
      expect((await buffer(await h.driver.read("t1/ranged", { start: 200_000, end: 200_010 }))).length).toBe(
        0,
      );
      expect((await buffer(await h.driver.read("t1/ranged", { start: 10, end: 10 }))).length).toBe(0);
    });

    it("replaces an object put again under the same key", async () => {
      await h.driver.put("t1/replaced", Readable.from([Buffer.from("first version")]));
      await h.driver.put("t1/replaced", Readable.from([Buffer.from("second")]));
      expect((await buffer(await h.driver.read("t1/replaced"))).toString()).toBe("second");
    });

    it("answers not_found for a missing object, undefined on stat; deleting is idempotent", async () => {
      await expect(h.driver.read("t1/missing")).rejects.toMatchObject({ code: ErrorCode.NotFound });
      await expect(h.driver.read("t1/missing", { start: 0, end: 10 })).rejects.toMatchObject({
        code: ErrorCode.NotFound,
      });
      expect(await h.driver.stat("t1/missing")).toBeUndefined();
      await h.driver.put("t1/deleted", Readable.from([Buffer.from("x")]));
      await h.driver.delete("t1/deleted");
      await h.driver.delete("t1/deleted");
      expect(await h.driver.stat("t1/deleted")).toBeUndefined();
    });

    it("lists objects by prefix", async () => {
      await h.driver.put("t2/a", Readable.from([Buffer.from("a")]));
      await h.driver.put("t2/b", Readable.from([Buffer.from("bb")]));
      await h.driver.put("t3/c", Readable.from([Buffer.from("c")]));
      expect(await keys(h.driver, "t2/")).toEqual(["t2/a", "t2/b"]);
      const listed = [];
      for await (const o of h.driver.list("t2/b")) listed.push(o);
      expect(listed).toEqual([{ key: "t2/b", size: 2, modifiedAt: expect.any(Date) }]);
      expect(Math.abs(listed[0]!.modifiedAt.getTime() - Date.now())).toBeLessThan(60_000);
    });

    it("a put whose body fails leaves no object and no leftovers (small and multi-part sized)", async () => {
      for (const [key, parts] of [
        ["t4/failed-small", [randomBytes(1000)]],
        ["t4/failed-large", [randomBytes(9 * 1024 * 1024), randomBytes(9 * 1024 * 1024)]],
      ] as const) {
        await expect(h.driver.put(key, failingAfter([...parts]))).rejects.toThrow("client went away");
        expect(await h.driver.stat(key)).toBeUndefined();
      }
      expect(await keys(h.driver, "t4/")).toEqual([]);
      expect(await h.leftovers()).toEqual([]);
    });

    it("removes leftovers of interrupted puts older than the grace period", async () => {
      await h.age?.(0);
      expect(await h.driver.removeIncomplete(60_000)).toBeGreaterThanOrEqual(0);
      expect(await h.driver.removeIncomplete(0)).toBeGreaterThanOrEqual(0);
      expect(await h.leftovers()).toEqual([]);
    });

    it("refuses keys that could escape the store", async () => {
      for (const bad of ["../x", "a/../../x", "/abs", "a//b", "a/./b", "", "a b"]) {
        await expect(h.driver.put(bad, Readable.from([]))).rejects.toThrow(/invalid object key/);
      }
    });
  });
}
