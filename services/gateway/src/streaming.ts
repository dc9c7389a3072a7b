import { PassThrough, pipeline, type Readable, Transform } from "node:stream";
import type { bundlesV1, storageV1 } from "@latchflow/proto";
import { fromServiceError, type RequestContext } from "@latchflow/runtime";
import { adoptBlobPiece, splitInto } from "./blob-views.js";
import { readBlobRange, writeBlob } from "./byte-plane.js";
import type { GatewayClients } from "./clients.js";

type ByteClients = Pick<GatewayClients, "storage" | "storageHost">;
/** what reading blob ranges needs of the clients */
type ReadClients = Parameters<typeof readBlobRange>[0];

/**
 * Streams a request body into storage over the byte plane with backpressure; storage enforces `limitBytes`
 * and `expectedSize`. Anything that goes wrong fails the upload, so storage keeps nothing.
 */
export function uploadToStorage(
  clients: ByteClients,
  body: Readable,
  ctx: RequestContext,
  options: { limitBytes: number; expectedSize?: number; releaseBody?: boolean },
): Promise<storageV1.BlobInfo> {
  return writeBlob(clients, body, ctx, options);
}

/**
 * The response body of an archive: literal ZIP bytes and blob ranges, in order, with backpressure. A failing
 * member (e.g. an integrity error) destroys the output, so the client sees a broken transfer, never a
 * complete-looking file with bad bytes.
 */
export function streamPieces(
  clients: ReadClients,
  pieces: bundlesV1.ArchivePiece[],
  ctx: RequestContext,
): Readable {
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  const drained = () => new Promise((r) => out.once("drain", r));
  /** pipes one blob range into `out` (not ending it); rejects when it fails or `out` goes away */
  const pipeRange = (source: Readable) =>
    new Promise<void>((resolve, reject) => {
      if (out.destroyed) {
        source.destroy();
        resolve();
        return;
      }
      const stop = () => {
        source.destroy();
        resolve();
      };
      out.once("close", stop);
      source.once("error", (err) => {
        out.off("close", stop);
        reject(err);
      });
      source.once("end", () => {
        out.off("close", stop);
        source.unpipe(out);
        // a range that ended short was failed by an earlier "end" listener (readBlobRange)
        if (source.errored) reject(source.errored);
        else resolve();
      });
      // each piece is this transfer's alone; the response frees it once written (ADR 068)
      source.on("data", adoptBlobPiece);
      source.pipe(out, { end: false });
    });
  const run = async () => {
    for (const p of pieces) {
      if (out.destroyed) return;
      if (p.piece?.$case === "data") {
        if (!out.write(p.piece.data)) await drained();
      } else if (p.piece?.$case === "blob") {
        await pipeRange(await readBlobRange(clients, p.piece.blob, ctx));
      }
    }
    out.end();
  };
  run().catch((err: unknown) => {
    const e = err as { code?: unknown; metadata?: unknown };
    out.destroy(typeof e.code === "number" && e.metadata ? fromServiceError(err as never) : (err as Error));
  });
  return out;
}

/** Streams a whole blob (admin file download). */
export function streamBlob(
  clients: ReadClients,
  blobId: string,
  size: number,
  ctx: RequestContext,
): Readable {
  return streamPieces(
    clients,
    size === 0 ? [] : [{ piece: { $case: "blob", blob: { blobId, offset: 0, length: size } } }],
    ctx,
  );
}

const SLICE = 64 * 1024;

/**
 * Counts the bytes of `body` handed on to the response; when the transfer ends early (the client went away,
 * storage failed) calls `giveBack` once with the `reserved` bytes that were never sent, so the download's
 * budget only pays for what left (a resume stays possible). Errors still reach the returned stream.
 */
export function settleUnsent(body: Readable, reserved: number, giveBack: (unsent: number) => void): Readable {
  let passed = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      passed += chunk.length;
      // large pieces go on in 64 KiB slices, so the response takes them one at a time
      if (chunk.length <= SLICE) this.push(chunk);
      else {
        splitInto(chunk, Math.ceil(chunk.length / SLICE));
        for (let at = 0; at < chunk.length; at += SLICE) this.push(chunk.subarray(at, at + SLICE));
      }
      done();
    },
  });
  counter.once("close", () => {
    // what the response never took (still buffered here) was not sent either
    const sent = passed - counter.readableLength;
    if (sent < reserved) giveBack(reserved - sent);
  });
  return pipeline(body, counter, () => undefined);
}
