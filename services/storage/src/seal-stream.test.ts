import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { CHUNK_SIZE, createDecryptStream, newChunkKey } from "./crypto/chunk-cipher.js";
import { MAX_HELD_PIECES } from "./crypto/sealer.js";
import { sealStream } from "./seal-stream.js";

/** `data` as pieces of the given sizes (cycling), each a buffer of its own, as node:http hands a body on. */
function ownPieces(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length] ?? data.length;
    const piece = data.subarray(at, at + n);
    const own = Buffer.allocUnsafeSlow(piece.length);
    piece.copy(own);
    out.push(own);
    at += n;
  }
  return out;
}

describe("sealStream with releaseSource (ADR 064)", () => {
  it("frees every piece once sealed, never one the sealer still holds: the blob opens to the plaintext", async () => {
    const data = randomBytes(5 * CHUNK_SIZE + 1234);
    // whole chunks, pieces across chunk boundaries, a run of tiny pieces (more than the sealer holds as
    // pieces, so it gathers them) and a piece larger than a chunk
    const sizes = [
      CHUNK_SIZE,
      1000,
      CHUNK_SIZE - 1,
      ...Array.from({ length: MAX_HELD_PIECES + 3 }, () => 7),
      3 * CHUNK_SIZE,
    ];
    const pieces = ownPieces(data, sizes);
    const key = newChunkKey(CHUNK_SIZE);
    const stream = new Readable({ read() {} });
    const sealed = sealStream(stream, key, { expectedSize: data.length, releaseSource: true });
    const stored = buffer(sealed.stream);
    for (const p of pieces) {
      stream.push(p);
      await new Promise((r) => setImmediate(r));
    }
    const freedBeforeEnd = pieces.filter((p) => p.length === 0).length;
    stream.push(null);
    const bytes = await stored;
    expect(sealed.digest()).toMatchObject({
      size: data.length,
      sha256: createHash("sha256").update(data).digest("hex"),
    });
    const opened = await buffer(
      Readable.from([bytes]).pipe(
        createDecryptStream(key, { size: data.length, start: 0, end: data.length }),
      ),
    );
    expect(opened.equals(data)).toBe(true);
    // pieces are freed as the upload goes, all but the two that hold the held-back last chunk (its 1,234 bytes
    // are the big piece's end and the 102-byte last piece); those at the end
    expect(freedBeforeEnd).toBe(pieces.length - 2);
    expect(pieces.every((p) => p.length === 0)).toBe(true);
  });

  it("leaves the pieces alone without releaseSource", async () => {
    const data = randomBytes(2 * CHUNK_SIZE + 5);
    const pieces = ownPieces(data, [40_000]);
    const sealed = sealStream(Readable.from(pieces), newChunkKey(CHUNK_SIZE), {});
    await buffer(sealed.stream);
    expect(Buffer.concat(pieces).equals(data)).toBe(true);
  });
});
