import { Readable } from "node:stream";
import type { OpenMember } from "../src/archive/index.js";

/** A small seeded PRNG (mulberry32): deterministic test data. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(random: () => number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) {
    const word = Math.floor(random() * 0x100000000);
    for (let j = 0; j < 4 && i + j < size; j++) buf[i + j] = (word >>> (8 * j)) & 0xff;
  }
  return buf;
}

/** A member stream over a buffer, in 7 KiB chunks (so members span several chunks). */
export function bufferStream(data: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += 7 * 1024) chunks.push(data.subarray(i, i + 7 * 1024));
  return Readable.from(chunks, { objectMode: false });
}

export function openFrom(contents: readonly Buffer[]): OpenMember {
  return async (index, from, length) => bufferStream(contents[index]!.subarray(from, from + length));
}

export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
