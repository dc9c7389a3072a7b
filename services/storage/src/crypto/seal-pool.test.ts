import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { pipeline } from "node:stream/promises";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CHUNK_SIZE, createDecryptStream, createEncryptStream, newChunkKey } from "./chunk-cipher.js";
import { sealStream, sealWorkerState } from "./seal-pool.js";
import type { SealDigest } from "./seal-worker.js";

const MiB = 1024 * 1024;

/** `data` cut into pieces of the given sizes (cycling), as a socket or a file read would deliver it. */
async function* pieces(data: Buffer, sizes: number[]) {
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length] ?? data.length;
    yield data.subarray(at, at + n);
    at += n;
  }
}

async function sealAll(data: Buffer, key: ReturnType<typeof newChunkKey>, worker: boolean, sizes: number[]) {
  let digest: SealDigest | undefined;
  const parts: Buffer[] = [];
  for await (const b of sealStream(key, pieces(data, sizes), (d) => (digest = d), { worker })) parts.push(b);
  return { sealed: Buffer.concat(parts), digest };
}

describe("sealing pass (worker thread and in-process)", () => {
  const sizes = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, MiB, MiB + 1, 5 * MiB + 12_345];
  it.each(sizes)(
    "%i bytes: the worker's bytes and digest equal the in-process pass and the encrypt stream",
    async (size) => {
      const data = randomBytes(size);
      const key = newChunkKey(CHUNK_SIZE);
      const expected = await buffer(Readable.from([data]).pipe(createEncryptStream(key)));
      const here = await sealAll(data, key, false, [65_536]);
      const there = await sealAll(data, key, true, [1000, 70_000, 3 * MiB, 1]);
      expect(here.sealed.equals(expected)).toBe(true);
      expect(there.sealed.equals(expected)).toBe(true);
      const want = { sha256: createHash("sha256").update(data).digest("hex"), crc32: crc32(data), size };
      expect(here.digest).toEqual(want);
      expect(there.digest).toEqual(want);
      // the worker pass really ran on a worker, which is idle again
      expect(sealWorkerState()).toMatchObject({ unavailable: false, busy: 0 });
      expect(sealWorkerState().idle).toBeGreaterThan(0);
      // and it opens again, every chunk authenticated
      const opened = await buffer(
        Readable.from([there.sealed]).pipe(createDecryptStream(key, { size, start: 0, end: size })),
      );
      expect(Buffer.compare(opened, data)).toBe(0);
    },
  );

  it("several uploads at once each get their own bytes (more than there are workers)", async () => {
    const runs = Array.from({ length: 6 }, (_, i) => {
      const data = randomBytes(2 * MiB + i * 777);
      const key = newChunkKey(CHUNK_SIZE);
      return { data, key };
    });
    const results = await Promise.all(runs.map((r) => sealAll(r.data, r.key, true, [64 * 1024])));
    for (const [i, r] of runs.entries()) {
      const expected = await buffer(Readable.from([r.data]).pipe(createEncryptStream(r.key)));
      expect(results[i]?.sealed.equals(expected)).toBe(true);
      expect(results[i]?.digest?.sha256).toBe(createHash("sha256").update(r.data).digest("hex"));
    }
  });

  it("a source failing midway fails the pass without a digest, and the next pass still works", async () => {
    const key = newChunkKey(CHUNK_SIZE);
    let digest: SealDigest | undefined;
    async function* broken() {
      yield randomBytes(3 * MiB);
      throw new Error("client went away");
    }
    await expect(
      pipeline(
        Readable.from(sealStream(key, broken(), (d) => (digest = d))),
        async (s: AsyncIterable<Buffer>) => {
          for await (const _ of s);
        },
      ),
    ).rejects.toThrow("client went away");
    expect(digest).toBeUndefined();
    const data = randomBytes(MiB + 5);
    const again = await sealAll(data, key, true, [MiB]);
    expect(again.digest?.sha256).toBe(createHash("sha256").update(data).digest("hex"));
  });
});
