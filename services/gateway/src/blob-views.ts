// A blob range's buffers, freed once the response has written the last of their views (ADR 068).

import { Readable } from "node:stream";
import { releaseBuffer, sendReleasing } from "@latchflow/runtime";
import type { Middleware } from "koa";

/**
 * The buffers of blob ranges under way (keyed by their `ArrayBuffer`) and how many of their views the response
 * has still to write. Only a blob range's pieces are entered: a socket read from storage's byte plane or a
 * plaintext of its in-process door, each its own allocation that nothing but the transfer holds once it came
 * out of the range's stream. An archive's literal ZIP bytes (the bundles service's message) never are.
 */
const unwritten = new WeakMap<ArrayBuffer, number>();

/** `chunk`, a blob range's piece, is the transfer's alone: it goes on as one view (when it spans its memory). */
export function adoptBlobPiece(chunk: Uint8Array): void {
  const backing = chunk.buffer;
  if (!(backing instanceof ArrayBuffer) || unwritten.has(backing)) return;
  if (chunk.byteOffset !== 0 || chunk.byteLength !== backing.byteLength || chunk.byteLength === 0) return;
  unwritten.set(backing, 1);
}

/** `chunk` goes on as `views` slices instead of itself; call before the first slice is handed on. */
export function splitInto(chunk: Uint8Array, views: number): void {
  const backing = chunk.buffer;
  if (!(backing instanceof ArrayBuffer)) return;
  const n = unwritten.get(backing);
  if (n !== undefined) unwritten.set(backing, n + views - 1);
}

/** The response wrote `view`: when it was the last of an adopted buffer's views, its memory is given back. */
export function viewWritten(view: Uint8Array): void {
  const backing = view.buffer;
  if (!(backing instanceof ArrayBuffer)) return;
  const n = unwritten.get(backing);
  if (n === undefined) return;
  if (n > 1) {
    unwritten.set(backing, n - 1);
    return;
  }
  unwritten.delete(backing);
  releaseBuffer(new Uint8Array(backing));
}

/** Routes' streamed answers, which `sendBlobViews` writes. */
const routeBodies = new WeakSet<Readable>();

/** Marks `stream` as a route's streamed answer, written by `sendBlobViews`. */
export function markRouteBody(stream: Readable): void {
  routeBodies.add(stream);
}

/**
 * Outermost middleware: a route's streamed body that is still the answer once every other middleware is done
 * (a contract check may have replaced it) is written here instead of by Koa's pipe, so each piece's write
 * callback can give a blob range's memory back (`viewWritten`). Without it a 2 GiB download left the gateway
 * 33–56 MiB of written socket reads waiting for V8 to find them dead (ADR 068). Status and headers are the
 * route's, as Koa would send them; a failing body breaks the transfer.
 */
export function sendBlobViews(): Middleware {
  return async (koa, next) => {
    await next();
    const body = koa.body;
    if (!(body instanceof Readable) || !routeBodies.has(body) || koa.method === "HEAD" || !koa.writable)
      return;
    if (body.destroyed) return;
    koa.respond = false;
    sendReleasing(body, koa.res, viewWritten);
    // a broken or abandoned transfer is reported once, as Koa's pipe would (the app logs "response aborted")
    let reported = false;
    const report = (err: Error) => {
      if (reported) return;
      reported = true;
      koa.onerror(err);
    };
    body.once("error", report);
    koa.res.once("close", () => {
      if (!koa.res.writableFinished) report(new Error("The client closed the connection before the end"));
    });
  };
}
