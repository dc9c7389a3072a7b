import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  CHUNK_SIZE,
  type ChunkKey,
  chunkCount,
  createDecryptStream,
  newChunkKey,
  TAG_LENGTH,
} from "./chunk-cipher.js";
import { createSealer, MAX_HELD_PIECES } from "./sealer.js";

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

/**
 * The format written out from its description in chunk-cipher.ts, one chunk at a time: nonce = prefix ‖ index
 * (uint32 BE), AAD = "LFC1" ‖ index (uint64 BE) ‖ last flag ‖ log2(chunk size), each chunk ciphertext ‖ tag.
 */
function referenceSeal(key: ChunkKey, data: Buffer): Buffer {
  const n = chunkCount(data.length, key.chunkSize);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const nonce = Buffer.alloc(12);
    key.noncePrefix.copy(nonce);
    nonce.writeUInt32BE(i, 8);
    const aad = Buffer.alloc(14);
    aad.write("LFC1", "latin1");
    aad.writeBigUInt64BE(BigInt(i), 4);
    aad[12] = i === n - 1 ? 1 : 0;
    aad[13] = Math.log2(key.chunkSize);
    const cipher = createCipheriv("aes-256-gcm", key.dek, nonce, { authTagLength: TAG_LENGTH });
    cipher.setAAD(aad);
    out.push(cipher.update(data.subarray(i * key.chunkSize, (i + 1) * key.chunkSize)), cipher.final());
    out.push(cipher.getAuthTag());
  }
  return Buffer.concat(out);
}

describe("sealing pass (the upload path's hash + CRC + seal)", () => {
  const sizes = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, MiB, MiB + 1, 5 * MiB + 12_345];
  it.each(sizes)(
    "%i bytes: the format's bytes whatever the pieces, and the plaintext's digest",
    async (size) => {
      const data = randomBytes(size);
      const key = newChunkKey(CHUNK_SIZE);
      const expected = referenceSeal(key, data);
      const want = { sha256: createHash("sha256").update(data).digest("hex"), crc32: crc32(data), size };
      for (const split of [[65_536], [1000, 70_000, 3 * MiB, 1], [size || 1]]) {
        const sealer = createSealer(key);
        const parts = pieces(data, split).flatMap((p) => sealer.update(p));
        const { sealed, ...digest } = sealer.final();
        const all = Buffer.concat([...parts, ...sealed]);
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

  it("holds back the last full chunk until the end shows it is the last; hands on the cipher's buffers", () => {
    const key = newChunkKey(CHUNK_SIZE);
    const sealer = createSealer(key);
    // 3 chunks, the 3rd held back: chunks 0 and 1 out, each as ciphertext then tag
    expect(sealer.update(randomBytes(3 * CHUNK_SIZE)).map((b) => b.length)).toEqual([
      CHUNK_SIZE,
      TAG_LENGTH,
      CHUNK_SIZE,
      TAG_LENGTH,
    ]);
    // one more byte: the 3rd is not the last
    expect(sealer.update(randomBytes(1)).map((b) => b.length)).toEqual([CHUNK_SIZE, TAG_LENGTH]);
    expect(sealer.final().sealed.map((b) => b.length)).toEqual([1, TAG_LENGTH]);
  });

  it("gathers a chunk from many small pieces into few buffers (and from a piece ending on a chunk)", () => {
    const key = newChunkKey(CHUNK_SIZE);
    const data = randomBytes(3 * CHUNK_SIZE + 3);
    const sealer = createSealer(key);
    const out = [
      // ~32 pieces per chunk
      ...pieces(data.subarray(0, 2 * CHUNK_SIZE + 1), [7, 4093]).flatMap((p) => sealer.update(p)),
      ...sealer.update(data.subarray(2 * CHUNK_SIZE + 1, 3 * CHUNK_SIZE)),
      ...sealer.update(data.subarray(3 * CHUNK_SIZE)),
      ...sealer.final().sealed,
    ];
    expect(Buffer.concat(out).equals(referenceSeal(key, data))).toBe(true);
    // 4 chunks: each at most MAX_HELD_PIECES + 1 ciphertext buffers and a tag
    expect(out.length).toBeLessThanOrEqual(4 * (MAX_HELD_PIECES + 2));
  });
});
