// Buffers of the upload path freed as soon as the code that made or received them is done (ADR 064).
import { type Readable, Writable } from "node:stream";

/**
 * Frees `buffer`'s memory now instead of at the next collection that finds it dead: its ArrayBuffer is
 * detached (`transfer(0)`), so the memory goes back to `malloc` at once and V8's count of memory outside the
 * heap drops with it. Every piece an upload allocates outside the heap (socket body pieces, cipher outputs)
 * counts until a collection frees it, and each time that count grows by ~64 MiB V8 runs a full mark-compact:
 * 11–17 of them per 256 MiB embedded upload before ADR 064.
 *
 * Only for a buffer nothing else references (after the release it reads as empty), and only when it spans its
 * whole ArrayBuffer: a view into a pool or into a larger message is left alone.
 */
export function releaseBuffer(buffer: Uint8Array): void {
  const backing = buffer.buffer;
  if (!(backing instanceof ArrayBuffer) || backing.detached || backing.byteLength === 0) return;
  if (buffer.byteOffset !== 0 || buffer.byteLength !== backing.byteLength) return;
  try {
    backing.transfer(0);
  } catch {
    // a buffer its maker marked as not detachable is left to the collector
  }
}

/**
 * A writable that hands what it takes to `out` and frees each buffer once `out` has written it. What waits is
 * handed on in one corked batch (so a file or socket still writes it with one `writev`); `out` writes in order,
 * so its callback for a batch's last buffer means the whole batch is written. An error of `out` fails it; it
 * destroyed before its end destroys `out`.
 * For buffers nothing else references (`releaseBuffer`).
 */
export function releasingWrites(out: Writable, highWaterMark: number): Writable {
  const writer = new Writable({
    highWaterMark,
    writev(chunks, done) {
      const last = chunks.length - 1;
      out.cork();
      chunks.forEach(({ chunk }, i) => {
        if (i < last) out.write(chunk);
        else
          out.write(chunk, (err) => {
            if (!err) for (const c of chunks) releaseBuffer(c.chunk);
            done(err);
          });
      });
      out.uncork();
    },
    final(done) {
      out.end(done);
    },
    destroy(err, done) {
      // after its end (autoDestroy) `out` is left alone: an HTTP request still waits for its answer
      if ((!err && writer.writableFinished) || out.closed) return done(err);
      // done once `out` has closed, as a pipe to `out` itself would be: a file still being opened is created
      // after a caller that cleans up on the failure removed it (a temp file left behind) otherwise
      out.once("close", () => done(err));
      out.destroy(err ?? undefined);
    },
  });
  out.once("error", (err) => writer.destroy(err));
  return writer;
}

/**
 * Writes `source`'s buffers to `out` (an HTTP response) and calls `release` on each once `out` has written it
 * — by default `releaseBuffer`, for a source whose buffers nothing else holds (storage's plaintexts, ADR 066);
 * the gateway passes its count of a blob range's views (ADR 068). Backpressure as in a pipe (the source pauses
 * while `out` is full); a failing source destroys `out` (a broken transfer, never a complete-looking body), and
 * `out` closed early destroys the source.
 */
export function sendReleasing(
  source: Readable,
  out: Writable,
  release: (chunk: Uint8Array) => void = releaseBuffer,
): void {
  source.on("data", (chunk: Buffer) => {
    if (!out.write(chunk, () => release(chunk))) source.pause();
  });
  out.on("drain", () => source.resume());
  source.once("end", () => out.end());
  source.once("error", (err) => out.destroy(err));
  out.once("close", () => source.destroy());
}
