// The sealing pass of an upload (ADR 044): sha256 + CRC-32 of the plaintext and AES-256-GCM chunks in the
// format of chunk-cipher.ts (ADR 006), one buffer out per piece in (no per-chunk stream pushes).
import { createCipheriv, createHash } from "node:crypto";
import { crc32 } from "node:zlib";

export const TAG_LENGTH = 16;
export const NONCE_PREFIX_LENGTH = 8;
const MAX_CHUNKS = 2 ** 32;
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

export interface SealKey {
  dek: Uint8Array;
  noncePrefix: Uint8Array;
  chunkSize: number;
}

export interface SealDigest {
  /** hex sha256 of the plaintext */
  sha256: string;
  /** CRC-32 (IEEE) of the plaintext */
  crc32: number;
  size: number;
}

export interface Sealer {
  /** Takes plaintext; answers the sealed bytes of every chunk now known not to be the last (maybe none). */
  update(data: Uint8Array): Buffer;
  /** Seals the held back last chunk (an empty blob: one empty chunk) and answers it with the digest. */
  final(): { sealed: Buffer } & SealDigest;
}

/**
 * One pass over the plaintext: hash, CRC and seal. The output, in order, is exactly what
 * `createEncryptStream` of chunk-cipher.ts writes for the same key and plaintext (tested).
 */
export function createSealer(key: SealKey): Sealer {
  const cs = key.chunkSize;
  const dek = Buffer.from(key.dek);
  const prefix = Buffer.from(key.noncePrefix);
  const hash = createHash("sha256");
  let crc = 0;
  let size = 0;
  let index = 0;
  // the chunk held back until more data (or the end) shows whether it is the last one
  const held = Buffer.allocUnsafe(cs);
  let filled = 0;

  const seal = (plain: Buffer, last: boolean, out: Buffer, at: number): number => {
    if (index >= MAX_CHUNKS) throw new RangeError("blob too large for its chunk size");
    const cipher = createCipheriv("aes-256-gcm", dek, chunkNonce(prefix, index), {
      authTagLength: TAG_LENGTH,
    });
    cipher.setAAD(chunkAad(cs, index, last));
    index++;
    let n = cipher.update(plain).copy(out, at);
    n += cipher.final().copy(out, at + n);
    n += cipher.getAuthTag().copy(out, at + n);
    return n;
  };

  return {
    update(input) {
      const data = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
      if (data.length === 0) return Buffer.allocUnsafeSlow(0);
      hash.update(data);
      crc = crc32(data, crc);
      size += data.length;
      const total = filled + data.length;
      // every full chunk with at least one byte after it is not the last
      const ready = Math.floor((total - 1) / cs);
      const out = Buffer.allocUnsafeSlow(ready * (cs + TAG_LENGTH));
      let wrote = 0;
      let at = 0;
      for (let k = 0; k < ready; k++) {
        if (filled > 0) {
          at += data.copy(held, filled, at, at + cs - filled);
          filled = 0;
          wrote += seal(held, false, out, wrote);
        } else {
          wrote += seal(data.subarray(at, at + cs), false, out, wrote);
          at += cs;
        }
      }
      filled += data.copy(held, filled, at);
      return out;
    },
    final() {
      const sealed = Buffer.allocUnsafeSlow(filled + TAG_LENGTH);
      seal(held.subarray(0, filled), true, sealed, 0);
      filled = 0;
      return { sealed, sha256: hash.digest("hex"), crc32: crc, size };
    },
  };
}
