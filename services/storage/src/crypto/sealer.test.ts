import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CHUNK_SIZE, createDecryptStream, createEncryptStream, newChunkKey } from "./chunk-cipher.js";
import { createSealer } from "./sealer.js";

const MiB = 1024 * 1024;

/** `data` cut into pieces of the given sizes (cycling), as a socket or a file read would deliver it. */
function pieces(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length] ?? data.length;
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

describe("sealing pass (the upload path's hash + CRC + seal)", () => {
  const sizes = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, MiB, MiB + 1, 5 * MiB + 12_345];
  it.each(sizes)(
    "%i bytes: the same bytes as the encrypt stream and the plaintext's digest",
    async (size) => {
      const data = randomBytes(size);
      const key = newChunkKey(CHUNK_SIZE);
      const expected = await buffer(Readable.from([data]).pipe(createEncryptStream(key)));
      const want = { sha256: createHash("sha256").update(data).digest("hex"), crc32: crc32(data), size };
      for (const split of [[65_536], [1000, 70_000, 3 * MiB, 1], [size || 1]]) {
        const sealer = createSealer(key);
        const parts = pieces(data, split).map((p) => sealer.update(p));
        const { sealed, ...digest } = sealer.final();
        const all = Buffer.concat([...parts, sealed]);
        expect(all.equals(expected)).toBe(true);
        expect(digest).toEqual(want);
        // and it opens again, every chunk authenticated
        const opened = await buffer(
          Readable.from([all]).pipe(createDecryptStream(key, { size, start: 0, end: size })),
        );
        expect(Buffer.compare(opened, data)).toBe(0);
      }
    },
  );

  it("holds back the last full chunk until the end shows it is the last", () => {
    const key = newChunkKey(CHUNK_SIZE);
    const sealer = createSealer(key);
    expect(sealer.update(randomBytes(CHUNK_SIZE)).length).toBe(0);
    expect(sealer.update(randomBytes(1)).length).toBe(CHUNK_SIZE + 16);
    expect(sealer.final().sealed.length).toBe(1 + 16);
  });
});
