import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { ErrorCode } from "@latchflow/runtime";
import { describe, expect, it } from "vitest";
import {
  CHUNK_SIZE,
  type ChunkKey,
  chunkCount,
  createDecryptStream,
  newChunkKey,
  openChunk,
  sealedRangeFor,
  sealedSize,
  TAG_LENGTH,
} from "./chunk-cipher.js";
import { createSealer } from "./sealer.js";

const SMALL = 1024; // a small chunk size keeps multi-chunk cases fast and readable

/** The stored object of `plaintext` (sealed in pieces of `writeSize` bytes). */
function seal(key: ChunkKey, plaintext: Buffer, writeSize = 1000): Buffer {
  const sealer = createSealer(key);
  const out: Buffer[] = [];
  for (let i = 0; i < plaintext.length; i += writeSize)
    out.push(...sealer.update(plaintext.subarray(i, i + writeSize)));
  out.push(...sealer.final().sealed);
  return Buffer.concat(out);
}

/** One chunk sealed alone: chunk 0 of a sealer, as the last chunk (a blob of `plaintext`). */
const sealLast = (key: ChunkKey, plaintext: Buffer) => seal(key, plaintext, key.chunkSize);

async function open(key: ChunkKey, sealed: Buffer, size: number, start = 0, end = size): Promise<Buffer> {
  const r = sealedRangeFor(size, key.chunkSize, start, end);
  const input = sealed.subarray(r.sealedStart, r.sealedEnd);
  // feed in odd-sized pieces to exercise reassembly
  const pieces: Buffer[] = [];
  for (let i = 0; i < input.length; i += 777) pieces.push(input.subarray(i, i + 777));
  return buffer(Readable.from(pieces).pipe(createDecryptStream(key, { size, start, end })));
}

/** Collects what a decrypt stream emitted before it failed, and the failure. */
async function openCollecting(key: ChunkKey, sealed: Buffer, size: number) {
  const got: Buffer[] = [];
  try {
    for await (const c of Readable.from([sealed]).pipe(
      createDecryptStream(key, { size, start: 0, end: size }),
    )) {
      got.push(c as Buffer);
    }
    return { got: Buffer.concat(got), error: undefined };
  } catch (error) {
    return { got: Buffer.concat(got), error: error as { code?: string } };
  }
}

describe("chunked AES-256-GCM (STREAM)", () => {
  it("round-trips sizes around the chunk boundary, with the layout size+16 per chunk", async () => {
    const key = newChunkKey(SMALL);
    for (const size of [0, 1, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL, 5 * SMALL + 17]) {
      const plaintext = randomBytes(size);
      const sealed = seal(key, plaintext);
      expect(sealed.length).toBe(sealedSize(size, SMALL));
      expect(sealed.length).toBe(size + chunkCount(size, SMALL) * TAG_LENGTH);
      expect((await open(key, sealed, size)).equals(plaintext)).toBe(true);
    }
  });

  it("answers each chunk's plaintext in a buffer of its own (the byte plane gives its memory back, ADR 066)", () => {
    const key = newChunkKey(SMALL);
    for (const size of [1, 100, SMALL]) {
      const plaintext = openChunk(key, 0, true, sealLast(key, randomBytes(size)));
      expect(plaintext.byteOffset).toBe(0);
      expect(plaintext.buffer.byteLength).toBe(size);
    }
  });

  it("uses 64 KiB chunks by default", () => {
    expect(newChunkKey().chunkSize).toBe(64 * 1024);
    expect(CHUNK_SIZE).toBe(65536);
  });

  it("an empty blob is one authenticated empty chunk", async () => {
    const key = newChunkKey(SMALL);
    const sealed = seal(key, Buffer.alloc(0));
    expect(sealed.length).toBe(TAG_LENGTH);
    expect((await open(key, sealed, 0)).length).toBe(0);
    const flipped = Buffer.from(sealed);
    flipped[0]! ^= 1;
    await expect(open(key, flipped, 0)).rejects.toMatchObject({ code: ErrorCode.IntegrityFailed });
    await expect(open(key, Buffer.alloc(0), 0)).rejects.toMatchObject({ code: ErrorCode.IntegrityFailed });
  });

  it("decrypts any range from only the chunks covering it", async () => {
    const key = newChunkKey(SMALL);
    const size = 4 * SMALL + 100;
    const plaintext = randomBytes(size);
    const sealed = seal(key, plaintext);
    const ranges: [number, number][] = [
      [0, 1],
      [size - 1, size],
      [SMALL - 1, SMALL + 1],
      [SMALL, 2 * SMALL],
      [10, size],
      [0, size],
      [size, size],
      [3 * SMALL + 5, 4 * SMALL + 50],
    ];
    for (const [start, end] of ranges) {
      const got = await open(key, sealed, size, start, end);
      expect(got.equals(plaintext.subarray(start, end)), `range ${start}-${end}`).toBe(true);
    }
    const r = sealedRangeFor(size, SMALL, SMALL + 3, SMALL + 9);
    expect(r).toEqual({
      firstChunk: 1,
      lastChunk: 1,
      sealedStart: SMALL + TAG_LENGTH,
      sealedEnd: 2 * (SMALL + TAG_LENGTH),
    });
  });

  it("fails on any flipped byte, without emitting that chunk's plaintext", async () => {
    const key = newChunkKey(SMALL);
    const size = 3 * SMALL;
    const plaintext = randomBytes(size);
    const sealed = seal(key, plaintext);
    for (const at of [0, SMALL, SMALL + TAG_LENGTH + 5, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at]! ^= 0x80;
      const { got, error } = await openCollecting(key, bad, size);
      expect(error?.code).toBe(ErrorCode.IntegrityFailed);
      const badChunk = Math.floor(at / (SMALL + TAG_LENGTH));
      // authenticated chunks before the bad one may have been delivered; nothing from it or after
      expect(got.length).toBeLessThanOrEqual(badChunk * SMALL);
      expect(got.equals(plaintext.subarray(0, got.length))).toBe(true);
    }
  });

  it("emits one buffer per chunk as it completes, a partial chunk waiting for the next input", async () => {
    const key = newChunkKey(SMALL);
    const size = 10 * SMALL;
    const plaintext = randomBytes(size);
    const sealed = seal(key, plaintext);
    const sealedChunk = SMALL + TAG_LENGTH;
    // 3.5 chunks, then 4 chunks (finishing the half one), then the rest
    const cuts = [0, 3.5 * sealedChunk, 7.5 * sealedChunk, sealed.length];
    const inputs = cuts.slice(1).map((c, i) => sealed.subarray(cuts[i], c));
    const out: Buffer[] = [];
    for await (const c of Readable.from(inputs).pipe(
      createDecryptStream(key, { size, start: 0, end: size }),
    )) {
      out.push(c as Buffer);
    }
    expect(out.map((b) => b.length)).toEqual(Array(10).fill(SMALL));
    expect(Buffer.concat(out).equals(plaintext)).toBe(true);
  });

  it("detects reordered chunks, dropped final chunks, and chunks spliced from another blob", async () => {
    const key = newChunkKey(SMALL);
    const size = 3 * SMALL;
    const sealed = seal(key, randomBytes(size));
    const c = (i: number, s = sealed) => s.subarray(i * (SMALL + TAG_LENGTH), (i + 1) * (SMALL + TAG_LENGTH));

    const swapped = Buffer.concat([c(1), c(0), c(2)]);
    expect((await openCollecting(key, swapped, size)).error?.code).toBe(ErrorCode.IntegrityFailed);

    // truncation: claims the blob is 2 chunks long → chunk 1 is not sealed as last
    const truncated = Buffer.concat([c(0), c(1)]);
    expect((await openCollecting(key, truncated, 2 * SMALL)).error?.code).toBe(ErrorCode.IntegrityFailed);
    // truncation against the recorded size: the stream ends early
    expect((await openCollecting(key, truncated, size)).error?.code).toBe(ErrorCode.IntegrityFailed);
    expect((await openCollecting(key, sealed.subarray(0, sealed.length - 1), size)).error?.code).toBe(
      ErrorCode.IntegrityFailed,
    );

    // splicing: same position, another blob (its own data key) → fails
    const other = seal(newChunkKey(SMALL), randomBytes(size));
    const spliced = Buffer.concat([c(0), c(1, other), c(2)]);
    expect((await openCollecting(key, spliced, size)).error?.code).toBe(ErrorCode.IntegrityFailed);

    // even under the same data key, another nonce prefix does not verify
    const sameDek = seal({ ...key, noncePrefix: randomBytes(8) }, randomBytes(size));
    expect((await openCollecting(key, Buffer.concat([c(0), c(1, sameDek), c(2)]), size)).error?.code).toBe(
      ErrorCode.IntegrityFailed,
    );
  });

  it("binds the last-chunk flag: a final chunk does not open as a middle one, and vice versa", () => {
    const key = newChunkKey(SMALL);
    const last = sealLast(key, Buffer.from("end"));
    expect(openChunk(key, 0, true, last).toString()).toBe("end");
    expect(() => openChunk(key, 0, false, sealLast(key, randomBytes(SMALL)))).toThrow(
      expect.objectContaining({ code: ErrorCode.IntegrityFailed }),
    );
    expect(() => openChunk(key, 1, true, last)).toThrow(
      expect.objectContaining({ code: ErrorCode.IntegrityFailed }),
    );
  });
});
