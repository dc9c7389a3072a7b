import { finished, Readable, Transform } from "node:stream";
import {
  ErrorCode,
  isLatchflowError,
  LatchflowError,
  releaseBuffer,
  validationFailed,
} from "@latchflow/runtime";
import type { ChunkKey } from "./crypto/chunk-cipher.js";
import { createSealer, type SealDigest } from "./crypto/sealer.js";

/** The sealed form of an upload body as a stream, and what is known once it ended. */
export interface SealStream {
  /** the stored object's bytes (chunk-cipher.ts's format), to be piped into a driver */
  stream: Readable;
  /** the plaintext's digest, once the stream ended cleanly */
  digest(): SealDigest | undefined;
  /** why the stream failed (a refusal, or the body cut off), if it did */
  failure(): Error | undefined;
}

const interrupted = () => new LatchflowError(ErrorCode.BadRequest, "The upload was interrupted");

/**
 * Seals `source` as its pieces arrive (ADR 044, ADR 060): the source is piped, so each piece reaches the sealer as
 * it was read (an async iterator would concatenate what waits: a copy of every byte) and the cipher's buffers go on
 * as they are. Before a piece is sealed the byte count is checked against `limitBytes` (> 0) and `expectedSize`;
 * a refusal fails the stream and leaves a stream `source` unread and undestroyed, so the caller can drain it and
 * answer. A source that fails or closes before its end fails the stream with `bad_request` (a LatchflowError it
 * carries, e.g. a malformed gRPC message, fails it as it is). With `releaseSource` (the caller's promise that
 * nothing else references the source's pieces, e.g. an HTTP request's body) each piece is freed once the
 * sealer is done with it (ADR 064).
 */
export function sealStream(
  source: AsyncIterable<Buffer>,
  key: ChunkKey,
  options: { expectedSize?: number; limitBytes?: number; releaseSource?: boolean },
): SealStream {
  const { expectedSize: expected, limitBytes: limit = 0, releaseSource = false } = options;
  const sealer = createSealer(key);
  /** pieces taken that the sealer may still reference (releaseSource only), oldest first */
  const taken: Buffer[] = [];
  /** frees the taken pieces before those that hold the sealer's last `held` bytes */
  const releaseTaken = (held: number) => {
    let keep = 0;
    for (let bytes = 0; keep < taken.length && bytes < held; keep++) {
      bytes += taken[taken.length - 1 - keep]?.length ?? 0;
    }
    for (const piece of taken.splice(0, taken.length - keep)) releaseBuffer(piece);
  };
  let digest: SealDigest | undefined;
  let failure: Error | undefined;
  /** the first failure wins: a refusal stays the reason even when the source is cut off after it */
  const fail = (err: Error): Error => {
    failure ??= err;
    return failure;
  };
  const sealing = new Transform({
    readableHighWaterMark: 1024 * 1024,
    writableHighWaterMark: 1024 * 1024,
    transform(data: Buffer, _encoding, done) {
      // the sealer counts the bytes; these checks run before it takes a piece
      const size = sealer.size + data.length;
      if (limit > 0 && size > limit) {
        done(fail(new LatchflowError(ErrorCode.PayloadTooLarge, `Uploads are limited to ${limit} bytes`)));
        return;
      }
      if (expected !== undefined && size > expected) {
        done(fail(validationFailed("More bytes arrived than expected_size", { expectedSize: expected })));
        return;
      }
      for (const sealed of sealer.update(data)) this.push(sealed);
      if (releaseSource) {
        taken.push(data);
        releaseTaken(sealer.heldBytes);
      }
      done();
    },
    flush(done) {
      if (expected !== undefined && sealer.size !== expected) {
        done(
          fail(
            validationFailed("Fewer bytes arrived than expected_size", {
              expectedSize: expected,
              size: sealer.size,
            }),
          ),
        );
        return;
      }
      const { sealed, ...rest } = sealer.final();
      releaseTaken(0);
      for (const b of sealed) this.push(b);
      digest = rest;
      done();
    },
  });
  const owned = !(source instanceof Readable);
  const input = owned ? Readable.from(source) : source;
  finished(input, { writable: false }, (err) => {
    if (err && !sealing.destroyed) sealing.destroy(fail(isLatchflowError(err) ? err : interrupted()));
  });
  // the failure is reported by failure() (it may come before the driver listens); an iterable wrapped here is
  // closed when sealing fails (its generator returns, as a for-await would)
  sealing.on("error", (err) => {
    fail(err);
    if (owned) input.destroy();
  });
  input.pipe(sealing);
  return { stream: sealing, digest: () => digest, failure: () => failure };
}
