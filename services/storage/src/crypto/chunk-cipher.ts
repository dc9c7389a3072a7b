import { createDecipheriv, randomBytes } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { ErrorCode, LatchflowError } from "@latchflow/runtime";

/**
 * Content encryption: AES-256-GCM over fixed-size chunks, the STREAM construction (Hoang, Reyhanitabar,
 * Rogaway, Vizár 2015).
 *
 * Stored object = chunk 0 ‖ chunk 1 ‖ … ‖ chunk n-1, each chunk = ciphertext (chunkSize bytes, fewer for the
 * last) ‖ 16-byte GCM tag. There is no header in the object: the blob row holds the chunk size, the wrapped
 * data key and the nonce prefix.
 * - nonce (12 bytes) = per-blob random prefix (8 bytes) ‖ chunk index (uint32 big-endian)
 * - associated data (14 bytes) = "LFC1" ‖ chunk index (uint64 big-endian) ‖ last-chunk flag (0x00 | 0x01)
 *   ‖ chunk-size exponent (log2 chunkSize, one byte)
 * An empty blob is one empty final chunk (just a tag), so it authenticates too. The number of chunks is
 * `max(1, ceil(size / chunkSize))`; a size that is a multiple of the chunk size has no empty trailing chunk.
 * Reordering changes the index, dropping final chunks loses the last flag, and chunks of another blob fail
 * under its own data key: all fail authentication.
 *
 * This file is the one definition of the format and opens it; `sealer.ts` is the one encryptor (ADR 044).
 */
export const CHUNK_SIZE = 64 * 1024;
export const TAG_LENGTH = 16;
export const NONCE_PREFIX_LENGTH = 8;
export const DEK_LENGTH = 32;
/** the chunk index is 32 bits in the nonce */
export const MAX_CHUNKS = 2 ** 32;
const AAD_MAGIC = Buffer.from("LFC1", "latin1");

/** nonce (12 bytes) = per-blob random prefix (8 bytes) ‖ chunk index (uint32 big-endian) */
export function chunkNonce(noncePrefix: Buffer, index: number): Buffer {
  const n = Buffer.allocUnsafe(NONCE_PREFIX_LENGTH + 4);
  noncePrefix.copy(n, 0);
  n.writeUInt32BE(index, NONCE_PREFIX_LENGTH);
  return n;
}

/** associated data = "LFC1" ‖ chunk index (uint64 big-endian) ‖ last-chunk flag ‖ log2(chunk size) */
export function chunkAad(chunkSize: number, index: number, last: boolean): Buffer {
  const a = Buffer.allocUnsafe(AAD_MAGIC.length + 10);
  AAD_MAGIC.copy(a, 0);
  a.writeBigUInt64BE(BigInt(index), AAD_MAGIC.length);
  a[AAD_MAGIC.length + 8] = last ? 1 : 0;
  a[AAD_MAGIC.length + 9] = Math.log2(chunkSize);
  return a;
}

/** What a blob's chunks are sealed with. */
export interface ChunkKey {
  /** the per-blob data key (32 bytes) */
  dek: Buffer;
  noncePrefix: Buffer;
  chunkSize: number;
}

/** A fresh random data key and nonce prefix for a new blob. */
export function newChunkKey(chunkSize = CHUNK_SIZE): ChunkKey {
  checkChunkSize(chunkSize);
  return { dek: randomBytes(DEK_LENGTH), noncePrefix: randomBytes(NONCE_PREFIX_LENGTH), chunkSize };
}

export function checkChunkSize(chunkSize: number): void {
  if (!Number.isInteger(Math.log2(chunkSize)) || chunkSize < 16 || chunkSize > 16 * 1024 * 1024) {
    throw new RangeError("chunkSize must be a power of two between 16 B and 16 MiB");
  }
}

export function integrityFailed(message: string, details?: Record<string, unknown>): LatchflowError {
  return new LatchflowError(ErrorCode.IntegrityFailed, message, { details });
}

/** Number of chunks of a blob of `size` plaintext bytes (an empty blob has one empty chunk). */
export function chunkCount(size: number, chunkSize: number): number {
  return size === 0 ? 1 : Math.ceil(size / chunkSize);
}

/** Size of the stored object of a blob of `size` plaintext bytes. */
export function sealedSize(size: number, chunkSize: number): number {
  return size + chunkCount(size, chunkSize) * TAG_LENGTH;
}

function nonce(key: ChunkKey, index: number): Buffer {
  return chunkNonce(key.noncePrefix, index);
}

function aad(key: ChunkKey, index: number, last: boolean): Buffer {
  return chunkAad(key.chunkSize, index, last);
}

/** Opens one sealed chunk; throws IntegrityFailed unless it authenticates at this index and position. */
export function openChunk(key: ChunkKey, index: number, last: boolean, sealed: Buffer): Buffer {
  if (sealed.length < TAG_LENGTH || sealed.length - TAG_LENGTH > key.chunkSize) {
    throw integrityFailed("Stored blob chunk has a wrong size", { chunk: index });
  }
  const body = sealed.subarray(0, sealed.length - TAG_LENGTH);
  const decipher = createDecipheriv("aes-256-gcm", key.dek, nonce(key, index), {
    authTagLength: TAG_LENGTH,
  });
  decipher.setAAD(aad(key, index, last));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  const plaintext = decipher.update(body);
  try {
    decipher.final();
  } catch (err) {
    throw new LatchflowError(ErrorCode.IntegrityFailed, "Stored blob failed its integrity check", {
      details: { chunk: index },
      cause: err,
    });
  }
  return plaintext;
}

/** Which part of the stored object serves the plaintext range [start, end). */
export interface SealedRange {
  firstChunk: number;
  /** inclusive */
  lastChunk: number;
  /** byte offsets in the stored object, [sealedStart, sealedEnd) */
  sealedStart: number;
  sealedEnd: number;
}

/** Maps a plaintext range [start, end) of a blob of `size` bytes to the chunks that cover it. */
export function sealedRangeFor(size: number, chunkSize: number, start: number, end: number): SealedRange {
  if (!(start >= 0 && start <= end && end <= size)) throw new RangeError("range outside the blob");
  const total = chunkCount(size, chunkSize);
  const firstChunk = Math.min(Math.floor(start / chunkSize), total - 1);
  const lastChunk = end === start ? firstChunk : Math.min(Math.ceil(end / chunkSize) - 1, total - 1);
  const sealedStart = firstChunk * (chunkSize + TAG_LENGTH);
  const lastPlain = Math.min(size, (lastChunk + 1) * chunkSize) - lastChunk * chunkSize;
  const sealedEnd = lastChunk * (chunkSize + TAG_LENGTH) + lastPlain + TAG_LENGTH;
  return { firstChunk, lastChunk, sealedStart, sealedEnd };
}

export interface DecryptOptions {
  /** plaintext size of the whole blob */
  size: number;
  /** plaintext range to emit, [start, end) */
  start: number;
  end: number;
}

/** How many plaintext bytes a decrypt stream lets wait for its reader (then the disk reads pause). */
const WAITING_BYTES = 2 * 1024 * 1024;

/**
 * A Transform reading the stored bytes from `sealedRangeFor(...).sealedStart` and emitting only the plaintext
 * of [start, end), each chunk only after it authenticated. Fails with IntegrityFailed on a bad chunk, a
 * truncated input (ends early) or trailing bytes.
 */
export function createDecryptStream(key: ChunkKey, options: DecryptOptions): Transform {
  checkChunkSize(key.chunkSize);
  const { size, start, end } = options;
  const range = sealedRangeFor(size, key.chunkSize, start, end);
  const totalChunks = chunkCount(size, key.chunkSize);
  const sealedLength = (i: number) =>
    Math.min(size, (i + 1) * key.chunkSize) - i * key.chunkSize + TAG_LENGTH;
  let index = range.firstChunk;
  let want = sealedLength(index);
  let parts: Buffer[] = [];
  let held = 0;

  /** opens one sealed chunk and keeps the part of its plaintext inside [start, end) in `ready` */
  const open = (ready: Buffer[], sealed: Buffer) => {
    const plaintext = openChunk(key, index, index === totalChunks - 1, sealed);
    const chunkStart = index * key.chunkSize;
    const from = Math.max(start, chunkStart) - chunkStart;
    const to = Math.min(end, chunkStart + plaintext.length) - chunkStart;
    if (to > from) ready.push(plaintext.subarray(from, to));
    index++;
    if (index <= range.lastChunk) want = sealedLength(index);
  };

  return new Transform({
    // one buffer per chunk, pushed once it authenticated (a chunk that fails pushes nothing of itself or of what
    // followed it): no copy into a larger buffer (ADR 057). Object mode so the buffers are never merged or
    // split; about 2 MiB may wait
    readableObjectMode: true,
    readableHighWaterMark: Math.max(2, Math.ceil(WAITING_BYTES / key.chunkSize)),
    transform(data: Buffer, _enc, done: TransformCallback) {
      const ready: Buffer[] = [];
      try {
        let at = 0;
        while (at < data.length) {
          if (index > range.lastChunk) throw integrityFailed("Stored blob has trailing bytes");
          const need = want - held;
          if (held === 0 && data.length - at >= need) {
            // whole chunk inside this buffer: no copy
            open(ready, data.subarray(at, at + need));
            at += need;
            continue;
          }
          const take = Math.min(need, data.length - at);
          parts.push(data.subarray(at, at + take));
          held += take;
          at += take;
          if (held === want) {
            const sealed = Buffer.concat(parts, held);
            parts = [];
            held = 0;
            open(ready, sealed);
          }
        }
      } catch (err) {
        done(err as Error);
        return;
      }
      for (const plaintext of ready) this.push(plaintext);
      done();
    },
    flush(done: TransformCallback) {
      if (index <= range.lastChunk) {
        done(integrityFailed("Stored blob is truncated", { chunk: index }));
        return;
      }
      done();
    },
  });
}
