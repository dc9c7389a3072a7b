// The one encryptor of blob content, the sealing pass of an upload (ADR 044, ADR 056): sha256 + CRC-32 of the
// plaintext and AES-256-GCM chunks in the format chunk-cipher.ts defines (ADR 006); neither the plaintext nor
// the ciphertext is copied: the cipher's own output buffers are handed on.
import { createCipheriv, createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import {
  type ChunkKey,
  checkChunkSize,
  chunkAad,
  chunkNonce,
  MAX_CHUNKS,
  TAG_LENGTH,
} from "./chunk-cipher.js";

export interface SealDigest {
  /** hex sha256 of the plaintext */
  sha256: string;
  /** CRC-32 (IEEE) of the plaintext */
  crc32: number;
  size: number;
}

/** at most this many pieces make one held-back chunk (so at most this many + 1 ciphertext buffers per chunk) */
export const MAX_HELD_PIECES = 16;

export interface Sealer {
  /** plaintext bytes taken so far */
  readonly size: number;
  /**
   * plaintext bytes held back (the chunk that may be the last): of the pieces taken, the sealer may still
   * reference those that hold the last `heldBytes` bytes, none before them
   */
  readonly heldBytes: number;
  /**
   * Takes plaintext and answers the sealed bytes of the chunks now known not to be the last, in order (each
   * chunk's ciphertext, then its tag; maybe none). The sealer keeps references to `data` until its chunks are
   * sealed: the caller must not change a piece after handing it over (stream and socket pieces never are).
   */
  update(data: Uint8Array): Buffer[];
  /** Seals the held back last chunk (an empty blob: one empty chunk) and answers it, with the digest. */
  final(): { sealed: Buffer[] } & SealDigest;
}

/**
 * One pass over the plaintext: hash, CRC and seal. The output, in order, is the stored object of chunk-cipher.ts's
 * format for this key and plaintext, whatever the pieces' sizes (tested against a chunk-by-chunk reference). No
 * plaintext is copied: a chunk that straddles pieces is sealed piece by piece.
 */
export function createSealer(key: ChunkKey): Sealer {
  checkChunkSize(key.chunkSize);
  const cs = key.chunkSize;
  const { dek, noncePrefix: prefix } = key;
  const hash = createHash("sha256");
  let crc = 0;
  let size = 0;
  let index = 0;
  // the chunk held back until more data (or the end) shows whether it is the last one: pieces of the caller's
  // buffers, not copies
  let held: Buffer[] = [];
  let heldBytes = 0;

  /** seals one chunk given as its plaintext's pieces (GCM is a stream mode: one update per piece, no gathering) */
  const seal = (plain: Buffer[], last: boolean, out: Buffer[]) => {
    if (index >= MAX_CHUNKS) throw new RangeError("blob too large for its chunk size");
    const cipher = createCipheriv("aes-256-gcm", dek, chunkNonce(prefix, index), {
      authTagLength: TAG_LENGTH,
    });
    cipher.setAAD(chunkAad(cs, index, last));
    index++;
    for (const piece of plain) out.push(cipher.update(piece));
    // GCM's final adds no bytes; it computes the tag
    cipher.final();
    out.push(cipher.getAuthTag());
  };
  const sealHeld = (last: boolean, out: Buffer[]) => {
    const plain = held;
    held = [];
    heldBytes = 0;
    seal(plain, last, out);
  };

  return {
    get size() {
      return size;
    },
    get heldBytes() {
      return heldBytes;
    },
    update(input) {
      const out: Buffer[] = [];
      const data = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
      if (data.length === 0) return out;
      hash.update(data);
      crc = crc32(data, crc);
      size += data.length;
      let at = 0;
      // a full chunk with at least one byte after it is not the last
      while (heldBytes + data.length - at > cs) {
        if (heldBytes === 0) {
          seal([data.subarray(at, at + cs)], false, out);
          at += cs;
          continue;
        }
        const need = cs - heldBytes;
        if (need > 0) {
          held.push(data.subarray(at, at + need));
          heldBytes += need;
          at += need;
        }
        sealHeld(false, out);
      }
      if (at < data.length) {
        // many small pieces (a slow sender) are gathered, so a chunk comes out as a bounded number of buffers
        if (held.length === MAX_HELD_PIECES) held = [Buffer.concat(held, heldBytes)];
        held.push(at === 0 ? data : data.subarray(at));
        heldBytes += data.length - at;
      }
      return out;
    },
    final() {
      const sealed: Buffer[] = [];
      sealHeld(true, sealed);
      return { sealed, sha256: hash.digest("hex"), crc32: crc, size };
    },
  };
}
