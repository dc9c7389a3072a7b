import { PassThrough, pipeline, type Readable, Transform } from "node:stream";
import type { bundlesV1, storageV1 } from "@latchflow/proto";
import { ErrorCode, fromServiceError, LatchflowError, type RequestContext } from "@latchflow/runtime";
import type { GatewayClients } from "./clients.js";

const CHUNK = 256 * 1024;

/**
 * Streams a request body into storage (PutBlob client stream) with backpressure, enforcing `limitBytes`.
 * Anything that goes wrong cancels the upload, so storage keeps nothing.
 */
export function uploadToStorage(
  storage: GatewayClients["storage"],
  body: Readable,
  ctx: RequestContext,
  options: { limitBytes: number; expectedSize?: number },
): Promise<storageV1.BlobInfo> {
  return new Promise((resolve, reject) => {
    const { metadata, options: callOptions } = storage.$callOptions(ctx, { deadlineMs: 6 * 3600_000 });
    let failed: LatchflowError | undefined;
    const call = storage.$raw.putBlob(metadata, callOptions, (err, info) => {
      if (failed) return reject(failed);
      if (err) return reject(fromServiceError(err));
      resolve(info);
    });
    const fail = (e: LatchflowError) => {
      if (failed) return;
      failed = e;
      body.destroy();
      call.cancel();
    };
    call.write({
      part: {
        $case: "header",
        header: options.expectedSize === undefined ? {} : { expectedSize: options.expectedSize },
      },
    });
    let received = 0;
    body.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > options.limitBytes) {
        fail(
          new LatchflowError(ErrorCode.PayloadTooLarge, `Uploads are limited to ${options.limitBytes} bytes`),
        );
        return;
      }
      for (let i = 0; i < chunk.length; i += CHUNK) {
        if (!call.write({ part: { $case: "chunk", chunk: chunk.subarray(i, i + CHUNK) } })) {
          body.pause();
          call.once("drain", () => body.resume());
        }
      }
    });
    body.once("end", () => {
      if (!failed) call.end();
    });
    body.once("error", () => fail(new LatchflowError(ErrorCode.BadRequest, "The upload was interrupted")));
    body.once("aborted", () => fail(new LatchflowError(ErrorCode.BadRequest, "The upload was interrupted")));
  });
}

/** Streams one blob range from storage. */
function blobStream(
  storage: GatewayClients["storage"],
  slice: bundlesV1.BlobSlice,
  ctx: RequestContext,
): Readable {
  const { metadata, options } = storage.$callOptions(ctx, { deadlineMs: 6 * 3600_000 });
  return storage.$raw.getBlob(
    { blobId: slice.blobId, offset: slice.offset, length: slice.length },
    metadata,
    options,
  );
}

/**
 * The response body of an archive: literal ZIP bytes and blob ranges, in order, with backpressure. A failing
 * member (e.g. an integrity error) destroys the output, so the client sees a broken transfer, never a
 * complete-looking file with bad bytes.
 */
export function streamPieces(
  storage: GatewayClients["storage"],
  pieces: bundlesV1.ArchivePiece[],
  ctx: RequestContext,
): Readable {
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  const run = async () => {
    for (const p of pieces) {
      if (out.destroyed) return;
      if (p.piece?.$case === "data") {
        if (!out.write(p.piece.data)) await new Promise((r) => out.once("drain", r));
      } else if (p.piece?.$case === "blob") {
        const source = blobStream(storage, p.piece.blob, ctx);
        for await (const chunk of source as AsyncIterable<storageV1.BlobChunk>) {
          if (out.destroyed) {
            source.destroy();
            return;
          }
          if (!out.write(chunk.data)) await new Promise((r) => out.once("drain", r));
        }
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
  storage: GatewayClients["storage"],
  blobId: string,
  size: number,
  ctx: RequestContext,
): Readable {
  return streamPieces(
    storage,
    size === 0 ? [] : [{ piece: { $case: "blob", blob: { blobId, offset: 0, length: size } } }],
    ctx,
  );
}

/**
 * Counts the bytes of `body` handed on to the response; when the transfer ends early (the client went away,
 * storage failed) calls `giveBack` once with the `reserved` bytes that were never sent, so the download's
 * budget only pays for what left (a resume stays possible). Errors still reach the returned stream.
 */
export function settleUnsent(body: Readable, reserved: number, giveBack: (unsent: number) => void): Readable {
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      done(null, chunk);
    },
  });
  counter.once("close", () => {
    if (sent < reserved) giveBack(reserved - sent);
  });
  return pipeline(body, counter, () => undefined);
}
