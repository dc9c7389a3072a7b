import { Readable } from "node:stream";
import { releaseBuffer } from "@latchflow/runtime";
import {
  type ChunkKey,
  checkChunkSize,
  chunkCount,
  type DecryptOptions,
  integrityFailed,
  openChunk,
  sealedRangeFor,
  TAG_LENGTH,
} from "./chunk-cipher.js";

/** Reads at positions of one stored object (a file handle, ADR 066). */
export interface PositionalSource {
  /** Reads up to `length` bytes at `position` into the start of `into`; answers how many came (0 at the end). */
  read(into: Buffer, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/** Whole sealed chunks read per disk read (about 1 MiB at the default 64 KiB chunk size). */
const CHUNKS_PER_READ = 16;

/**
 * The plaintext of [start, end) of a stored object read by position: the same bytes and the same failures as
 * `createDecryptStream` over a stream of it, but whole sealed chunks are read into one buffer that the reader
 * reuses for every read (ADR 066) — each chunk is opened (authenticated, then its plaintext handed on) before the
 * buffer is read into again. Only the ciphers' plaintext buffers are new, so a 2 GiB download allocates half the
 * bytes it did and glibc's heap is not churned by a 1 MiB buffer per read. At most `CHUNKS_PER_READ` chunks wait
 * for the reader beyond one read's worth: reads stop while they do. `source` is closed when the stream ends, fails
 * or is destroyed, and the buffer is freed then (once no read into it is under way): it lives as long as the
 * download, so it is in the old generation by then, and 16 parallel downloads left ~16 MiB of them to wait for a
 * full collection that an idle server may not run for a long time.
 */
export function createChunkReader(
  source: PositionalSource,
  key: ChunkKey,
  options: DecryptOptions,
): Readable {
  checkChunkSize(key.chunkSize);
  const { size, start, end } = options;
  const range = sealedRangeFor(size, key.chunkSize, start, end);
  const totalChunks = chunkCount(size, key.chunkSize);
  const sealedChunk = key.chunkSize + TAG_LENGTH;
  // its own memory, never a slice of the shared pool, which could not be freed on its own
  const buffer = Buffer.allocUnsafeSlow(
    Math.min(CHUNKS_PER_READ, range.lastChunk - range.firstChunk + 1) * sealedChunk,
  );
  let index = range.firstChunk;
  let position = range.sealedStart;
  let closed: Promise<void> | undefined;
  let ending = false;
  /** a read into `buffer` under way: the buffer is freed only once none is */
  let reading: Promise<number> | undefined;
  const close = () => {
    closed ??= source.close().finally(async () => {
      await reading?.catch(() => {});
      releaseBuffer(buffer);
    });
    return closed;
  };

  /** reads the next whole chunks (or what is left of the range) into `buffer`; a short object fails */
  async function fill(): Promise<number> {
    const want = Math.min(buffer.length, range.sealedEnd - position);
    let got = 0;
    while (got < want) {
      const n = await source.read(buffer.subarray(got), want - got, position + got);
      if (n === 0)
        throw integrityFailed("Stored blob is truncated", { chunk: index + Math.floor(got / sealedChunk) });
      got += n;
    }
    position += got;
    return got;
  }

  /** opens the chunks of one read, pushing their plaintext; answers whether any was pushed */
  function open(stream: Readable, length: number): boolean {
    let pushed = false;
    for (let at = 0; at < length; ) {
      const chunkStart = index * key.chunkSize;
      const plainLength = Math.min(size, chunkStart + key.chunkSize) - chunkStart;
      const sealed = buffer.subarray(at, at + plainLength + TAG_LENGTH);
      const plaintext = openChunk(key, index, index === totalChunks - 1, sealed);
      const from = Math.max(start, chunkStart) - chunkStart;
      const to = Math.min(end, chunkStart + plaintext.length) - chunkStart;
      if (to > from) {
        stream.push(plaintext.subarray(from, to));
        pushed = true;
      }
      at += sealed.length;
      index++;
    }
    return pushed;
  }

  /** reads until some plaintext was pushed (a read that pushes nothing would not be asked again) or the end */
  async function next(stream: Readable): Promise<void> {
    while (index <= range.lastChunk) {
      reading = fill();
      const length = await reading.finally(() => {
        reading = undefined;
      });
      if (stream.destroyed) return;
      if (open(stream, length)) break;
    }
    // a read asked for while the source closes finds the end already under way
    if (index > range.lastChunk && !ending) {
      ending = true;
      await close();
      stream.push(null);
    }
  }

  return new Readable({
    // one buffer per chunk, pushed once it authenticated; object mode so they are never merged or split
    objectMode: true,
    highWaterMark: CHUNKS_PER_READ,
    read() {
      next(this).catch((err: Error) => this.destroy(err));
    },
    destroy(err, done) {
      close().then(
        () => done(err),
        (closeErr: Error) => done(err ?? closeErr),
      );
    },
  });
}
