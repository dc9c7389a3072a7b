import { pipeline, type Readable } from "node:stream";
import { type ChunkKey, createDecryptStream, sealedRangeFor } from "./crypto/chunk-cipher.js";
import { createChunkReader } from "./crypto/chunk-reader.js";
import type { BlobDriver } from "./drivers/blob-driver.js";

/**
 * The plaintext of [start, end) of a stored object of `size` plaintext bytes, each chunk authenticated before
 * any of its bytes leave. A file is read by position into one reused buffer (ADR 066); other drivers stream the
 * sealed range through a decrypting transform. Throws the driver's NotFound when the object is missing.
 */
export async function openPlaintextRange(
  driver: BlobDriver,
  driverKey: string,
  key: ChunkKey,
  range: { size: number; start: number; end: number },
): Promise<Readable> {
  if (driver.openPositional) return createChunkReader(await driver.openPositional(driverKey), key, range);
  const sealed = sealedRangeFor(range.size, key.chunkSize, range.start, range.end);
  return pipeline(
    await driver.read(driverKey, { start: sealed.sealedStart, end: sealed.sealedEnd }),
    createDecryptStream(key, range),
    () => {},
  );
}
