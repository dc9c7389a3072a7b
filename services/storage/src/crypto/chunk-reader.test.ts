import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { ErrorCode } from "@latchflow/runtime";
import { describe, expect, it } from "vitest";
import {
  type ChunkKey,
  createDecryptStream,
  newChunkKey,
  sealedRangeFor,
  TAG_LENGTH,
} from "./chunk-cipher.js";
import { createChunkReader, type PositionalSource } from "./chunk-reader.js";
import { createSealer } from "./sealer.js";

const SMALL = 1024;
const SEALED_CHUNK = SMALL + TAG_LENGTH;
/** the reader's chunks per disk read (chunk-reader.ts) */
const PER_READ = 16;

function seal(key: ChunkKey, plaintext: Buffer): Buffer {
  const sealer = createSealer(key);
  const out = [...sealer.update(plaintext), ...sealer.final().sealed];
  return Buffer.concat(out);
}

/** A stored object in memory, read by position (at most `maxRead` bytes per read), recording what it was asked. */
function memorySource(object: Buffer, maxRead = Number.POSITIVE_INFINITY) {
  const log = { reads: [] as { into: Buffer; position: number; length: number }[], closed: 0, furthest: 0 };
  const source: PositionalSource = {
    async read(into, length, position) {
      log.reads.push({ into, position, length });
      const n = object.copy(into, 0, position, Math.min(object.length, position + Math.min(length, maxRead)));
      log.furthest = Math.max(log.furthest, position + n);
      return n;
    },
    async close() {
      log.closed++;
    },
  };
  return { source, log };
}

async function collect(stream: Readable) {
  const got: Buffer[] = [];
  try {
    for await (const c of stream) got.push(c as Buffer);
    return { got: Buffer.concat(got), error: undefined };
  } catch (error) {
    return { got: Buffer.concat(got), error: error as { code?: string; message?: string } };
  }
}

describe("chunk reader (positional reads into one reused buffer)", () => {
  it("emits the same plaintext as the decrypt stream for any range, and closes its source", async () => {
    const key = newChunkKey(SMALL);
    for (const size of [0, 1, SMALL, SMALL + 1, PER_READ * SMALL, PER_READ * SMALL + 5, 40 * SMALL + 321]) {
      const plain = randomBytes(size);
      const sealed = seal(key, plain);
      const ranges = [
        [0, size],
        [0, 0],
        [size, size],
        [Math.floor(size / 3), Math.floor((2 * size) / 3)],
        [Math.min(size, SMALL - 1), Math.min(size, 17 * SMALL + 2)],
      ];
      for (const [start = 0, end = 0] of ranges) {
        const { source, log } = memorySource(sealed, 700);
        const got = await buffer(createChunkReader(source, key, { size, start, end }));
        const r = sealedRangeFor(size, SMALL, start, end);
        const viaStream = await buffer(
          Readable.from([sealed.subarray(r.sealedStart, r.sealedEnd)]).pipe(
            createDecryptStream(key, { size, start, end }),
          ),
        );
        expect(got.equals(plain.subarray(start, end)), `${size} ${start}-${end}`).toBe(true);
        expect(got.equals(viaStream)).toBe(true);
        expect(log.closed).toBe(1);
      }
    }
  });

  it("reads whole chunks into one buffer it reuses", async () => {
    const key = newChunkKey(SMALL);
    const size = 3 * PER_READ * SMALL + 10;
    const { source, log } = memorySource(seal(key, randomBytes(size)));
    await buffer(createChunkReader(source, key, { size, start: 0, end: size }));
    expect(log.reads.length).toBe(4);
    const first = log.reads[0]?.into;
    for (const r of log.reads) {
      expect(r.into.buffer).toBe(first?.buffer);
      expect(r.position % SEALED_CHUNK).toBe(0);
    }
    expect(log.reads.map((r) => r.length)).toEqual([
      PER_READ * SEALED_CHUNK,
      PER_READ * SEALED_CHUNK,
      PER_READ * SEALED_CHUNK,
      10 + TAG_LENGTH,
    ]);
  });

  it("holds at most two reads' worth ahead of a reader that does not read", async () => {
    const key = newChunkKey(SMALL);
    const size = 20 * PER_READ * SMALL;
    const { source, log } = memorySource(seal(key, randomBytes(size)));
    const stream = createChunkReader(source, key, { size, start: 0, end: size });
    stream.pause();
    stream.read(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(log.furthest).toBeGreaterThan(0);
    expect(log.furthest).toBeLessThanOrEqual(2 * PER_READ * SEALED_CHUNK);
    expect(stream.readableLength).toBeLessThanOrEqual(2 * PER_READ);
    stream.destroy();
    await new Promise((r) => setTimeout(r, 10));
    expect(log.closed).toBe(1);
  });

  it("fails on a flipped byte, emitting nothing of that chunk or after it", async () => {
    const key = newChunkKey(SMALL);
    const size = 2 * PER_READ * SMALL;
    const plain = randomBytes(size);
    const sealed = seal(key, plain);
    const bad = 5 * SEALED_CHUNK + 100; // chunk 5, inside the first read
    sealed[bad] = (sealed[bad] ?? 0) ^ 1;
    const { source, log } = memorySource(sealed);
    const { got, error } = await collect(createChunkReader(source, key, { size, start: 0, end: size }));
    expect(error?.code).toBe(ErrorCode.IntegrityFailed);
    // what reached the reader before the failure is a prefix of the chunks before the bad one
    expect(got.length).toBeLessThanOrEqual(5 * SMALL);
    expect(got.equals(plain.subarray(0, got.length))).toBe(true);
    expect(log.closed).toBe(1);
  });

  it("fails on a truncated object after the chunks that are whole", async () => {
    const key = newChunkKey(SMALL);
    const size = 2 * PER_READ * SMALL + 7;
    const plain = randomBytes(size);
    const sealed = seal(key, plain);
    const { source, log } = memorySource(sealed.subarray(0, sealed.length - 3));
    const { got, error } = await collect(createChunkReader(source, key, { size, start: 0, end: size }));
    expect(error).toMatchObject({ code: ErrorCode.IntegrityFailed, message: "Stored blob is truncated" });
    expect(got.length).toBeLessThanOrEqual(2 * PER_READ * SMALL);
    expect(got.equals(plain.subarray(0, got.length))).toBe(true);
    expect(log.closed).toBe(1);
  });

  it("frees its read buffer when it ends, and when destroyed only once the read under way is done", async () => {
    const key = newChunkKey(SMALL);
    const size = 3 * PER_READ * SMALL;
    const sealed = seal(key, randomBytes(size));
    const detached = (b: Buffer | undefined) => (b?.buffer as ArrayBuffer | undefined)?.detached;

    const ended = memorySource(sealed);
    await buffer(createChunkReader(ended.source, key, { size, start: 0, end: size }));
    expect(detached(ended.log.reads[0]?.into)).toBe(true);

    // the second read is held until the stream was destroyed: its buffer must outlive it
    const held = memorySource(sealed);
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const reads: Buffer[] = [];
    const slow: PositionalSource = {
      async read(into, length, position) {
        reads.push(into);
        if (reads.length === 2) await gate;
        return held.source.read(into, length, position);
      },
      close: () => held.source.close(),
    };
    const stream = createChunkReader(slow, key, { size, start: 0, end: size });
    stream.on("error", () => {});
    stream.resume();
    while (reads.length < 2) await new Promise((r) => setTimeout(r, 1));
    stream.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(held.log.closed).toBe(1);
    expect(detached(reads[1])).toBe(false);
    release();
    await new Promise((r) => setTimeout(r, 20));
    expect(detached(reads[1])).toBe(true);
    expect(reads).toHaveLength(2);
  });
});
