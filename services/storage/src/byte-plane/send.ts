import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { releaseBuffer } from "@latchflow/runtime";

/**
 * Writes `source`'s buffers to `res` and gives each one's memory back — detaches its `ArrayBuffer` — as soon as
 * the socket has taken it (ADR 066). Only for buffers nothing else holds: the decrypt stages' plaintexts, each
 * the cipher's own output for one chunk (`openChunk`). Without it a 2 GiB download left 60–120 MiB of written
 * plaintext waiting for V8 to find it dead. Backpressure as in a pipe (the source pauses while the response is
 * full); a failing source destroys the response (a broken transfer, never a complete-looking body), and a
 * response closed early destroys the source.
 */
export function sendReleasing(source: Readable, res: ServerResponse): void {
  source.on("data", (chunk: Buffer) => {
    if (!res.write(chunk, () => releaseBuffer(chunk))) source.pause();
  });
  res.on("drain", () => source.resume());
  source.once("end", () => res.end());
  source.once("error", (err) => res.destroy(err));
  res.once("close", () => source.destroy());
}
