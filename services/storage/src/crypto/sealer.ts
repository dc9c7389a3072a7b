// The one encryptor of blob content, the sealing pass of an upload (ADR 044): sha256 + CRC-32 of the plaintext
// and AES-256-GCM chunks in the format chunk-cipher.ts defines (ADR 006), one buffer out per piece in.
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

/** sealed chunks gathered into one output buffer: ~1 MiB writes at the 64 KiB chunk size */
const BATCH_CHUNKS = 16;

export interface Sealer {
  /** plaintext bytes taken so far */
  readonly size: number;
  /**
   * Takes plaintext; answers the sealed bytes of chunks known not to be the last, in full batches of
   * BATCH_CHUNKS chunks (maybe none: the rest waits in the batch being filled).
   */
  update(data: Uint8Array): Buffer[];
  /** Seals the held back last chunk (an empty blob: one empty chunk); answers it after what waited. */
  final(): { sealed: Buffer } & SealDigest;
}

/**
 * One pass over the plaintext: hash, CRC and seal. The output, in order, is the stored object of chunk-cipher.ts's
 * format for this key and plaintext, whatever the pieces' sizes (tested against a chunk-by-chunk reference).
 * Each chunk's ciphertext is copied once, into a batch buffer, so the writer gets few large writes.
 */
export function createSealer(key: ChunkKey): Sealer {
  checkChunkSize(key.chunkSize);
  const cs = key.chunkSize;
  const { dek, noncePrefix: prefix } = key;
  const hash = createHash("sha256");
  let crc = 0;
  let size = 0;
  let index = 0;
  // the chunk held back until more data (or the end) shows whether it is the last one
  const held = Buffer.allocUnsafe(cs);
  let filled = 0;
  const batchBytes = BATCH_CHUNKS * (cs + TAG_LENGTH);
  let batch = Buffer.allocUnsafeSlow(batchBytes);
  let wrote = 0;

  /** seals one chunk into the batch (which always has room for one) */
  const seal = (plain: Buffer, last: boolean) => {
    if (index >= MAX_CHUNKS) throw new RangeError("blob too large for its chunk size");
    const cipher = createCipheriv("aes-256-gcm", dek, chunkNonce(prefix, index), {
      authTagLength: TAG_LENGTH,
    });
    cipher.setAAD(chunkAad(cs, index, last));
    index++;
    wrote += cipher.update(plain).copy(batch, wrote);
    wrote += cipher.final().copy(batch, wrote);
    wrote += cipher.getAuthTag().copy(batch, wrote);
  };
  /** a full batch goes out; a new one is started */
  const flush = (ready: Buffer[]) => {
    if (wrote < batchBytes) return;
    ready.push(batch);
    batch = Buffer.allocUnsafeSlow(batchBytes);
    wrote = 0;
  };

  return {
    get size() {
      return size;
    },
    update(input) {
      const ready: Buffer[] = [];
      const data = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
      if (data.length === 0) return ready;
      hash.update(data);
      crc = crc32(data, crc);
      size += data.length;
      // every full chunk with at least one byte after it is not the last
      const count = Math.floor((filled + data.length - 1) / cs);
      let at = 0;
      for (let k = 0; k < count; k++) {
        if (filled > 0) {
          at += data.copy(held, filled, at, at + cs - filled);
          filled = 0;
          seal(held, false);
        } else {
          seal(data.subarray(at, at + cs), false);
          at += cs;
        }
        flush(ready);
      }
      filled += data.copy(held, filled, at);
      return ready;
    },
    final() {
      seal(held.subarray(0, filled), true);
      filled = 0;
      const sealed = batch.subarray(0, wrote);
      return { sealed, sha256: hash.digest("hex"), crc32: crc, size };
    },
  };
}
