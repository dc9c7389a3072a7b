import { Agent, type IncomingMessage, request } from "node:http";
import type { Readable } from "node:stream";
import type { storageV1 } from "@latchflow/proto";
import {
  ErrorCode,
  isErrorCode,
  LatchflowError,
  localBytePlane,
  type RequestContext,
} from "@latchflow/runtime";
import type { GatewayClients } from "./clients.js";

/**
 * One connection per transfer: a kept-alive socket that storage closes while idle races with its reuse and
 * breaks a response already under way (a loopback connect costs far less than a transfer).
 */
const agent = new Agent({ keepAlive: false });

/**
 * Buffer up to 1 MiB of a blob before pausing: the socket that reads it (GET), or the request that writes it
 * (PUT: at the default 64 KiB every upload piece would pause the client's body and resume it on "drain"). Node
 * takes `highWaterMark` in request options; @types/node does not list it, hence a spread.
 */
const TRANSFER_BUFFER = { highWaterMark: 1024 * 1024 };

/** The error a byte-plane answer carries (the one error shape), or a generic one. */
async function answerError(res: IncomingMessage): Promise<LatchflowError> {
  let text = "";
  for await (const c of res as AsyncIterable<Buffer>) text += c.toString("utf8");
  try {
    const { error } = JSON.parse(text) as {
      error?: { code?: string; message?: string; details?: Record<string, unknown> };
    };
    if (error?.code && isErrorCode(error.code)) {
      return new LatchflowError(error.code, error.message ?? error.code, { details: error.details });
    }
  } catch {
    // not our shape: fall through
  }
  return new LatchflowError(ErrorCode.Unavailable, `Storage answered ${res.statusCode}`);
}

function send(
  host: string,
  cap: storageV1.BlobCapability,
  method: "GET" | "PUT",
  headers: Record<string, string>,
  body?: Readable,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: cap.port,
        path: cap.path,
        method,
        agent,
        ...TRANSFER_BUFFER,
        headers: { ...headers, authorization: `Bearer ${cap.token}` },
      },
      resolve,
    );
    req.once("error", (err) =>
      reject(new LatchflowError(ErrorCode.Unavailable, "Storage byte plane unreachable", { cause: err })),
    );
    if (body) {
      body.once("error", (err) => req.destroy(err));
      body.pipe(req);
    } else req.end();
  });
}

/**
 * Opens a blob's plaintext range on the storage byte plane (ADR 036): a capability from OpenBlobRead, then
 * a plain HTTP GET. The returned stream fails when the transfer breaks or ends short (an integrity failure
 * in storage destroys the response), so a broken member never looks complete.
 */
export async function readBlobRange(
  clients: Pick<GatewayClients, "storage" | "storageHost">,
  slice: { blobId: string; offset: number; length: number },
  ctx: RequestContext,
): Promise<Readable> {
  const cap = await clients.storage.openBlobRead(slice, ctx);
  const local = localBytePlane(clients.storageHost, cap.port);
  if (local) {
    // storage runs in this process (ADR 045): the same capability, checked by the same plane, without the
    // loopback HTTP hop; a chunk that fails authentication errors the stream
    const { stream, length } = await local.openRead(cap.token, cap.path);
    return checkedLength(stream, length, cap.length);
  }
  const res = await send(clients.storageHost, cap, "GET", {});
  if (res.statusCode !== 200) throw await answerError(res);
  return checkedLength(res, cap.length, cap.length);
}

/** Fails `stream` when it ends with another number of bytes than the capability's range. */
function checkedLength(stream: Readable, announced: number, expected: number): Readable {
  if (announced !== expected) {
    stream.destroy();
    throw new LatchflowError(
      ErrorCode.IntegrityFailed,
      "Storage answered another range than the capability's",
    );
  }
  let received = 0;
  stream.on("data", (c: Buffer) => {
    received += c.length;
  });
  stream.once("end", () => {
    if (received !== expected) {
      stream.destroy(new LatchflowError(ErrorCode.IntegrityFailed, "Storage ended a blob range early"));
    }
  });
  return stream;
}

/**
 * Uploads a body to the storage byte plane (one pass there: hash, encrypt and write as the bytes arrive):
 * a capability from OpenBlobWrite that carries this request's context and limits, then a plain HTTP PUT — or,
 * when storage runs in this process, the same capability handed to its in-process door (ADR 052).
 */
export async function writeBlob(
  clients: Pick<GatewayClients, "storage" | "storageHost">,
  body: Readable,
  ctx: RequestContext,
  options: { limitBytes: number; expectedSize?: number },
): Promise<storageV1.BlobInfo> {
  const cap = await clients.storage.openBlobWrite(
    {
      limitBytes: options.limitBytes,
      ...(options.expectedSize === undefined ? {} : { expectedSize: options.expectedSize }),
    },
    ctx,
  );
  let interrupted = false;
  const interrupt = () => {
    interrupted = true;
  };
  body.once("aborted", interrupt);
  body.once("error", interrupt);
  const local = localBytePlane(clients.storageHost, cap.port);
  if (local) {
    try {
      return await local.write(
        cap.token,
        cap.path,
        pieces(body, () => interrupted),
      );
    } catch (err) {
      if (interrupted) throw new LatchflowError(ErrorCode.BadRequest, "The upload was interrupted");
      // a refusal (limit, size) leaves the rest of the body to drain, so the answer reaches the client
      body.resume();
      throw err;
    }
  }
  // a known length spares chunked framing (three writes per piece) on the way to storage
  const size = options.expectedSize;
  const headers: Record<string, string> = {
    "content-type": "application/octet-stream",
    ...(size !== undefined && Number.isSafeInteger(size) && size >= 0
      ? { "content-length": String(size) }
      : {}),
  };
  let res: IncomingMessage;
  try {
    res = await send(clients.storageHost, cap, "PUT", headers, body);
  } catch (err) {
    if (interrupted) throw new LatchflowError(ErrorCode.BadRequest, "The upload was interrupted");
    throw err;
  }
  if (res.statusCode !== 201) {
    body.destroy();
    throw await answerError(res);
  }
  let text = "";
  for await (const c of res as AsyncIterable<Buffer>) text += c.toString("utf8");
  const info = JSON.parse(text) as Omit<storageV1.BlobInfo, "createdAt"> & { createdAt: string };
  return { ...info, createdAt: new Date(info.createdAt) };
}

/** The pieces of an upload body as they arrive; fails when the body was cut off (the client went away). */
async function* pieces(body: Readable, interrupted: () => boolean): AsyncGenerator<Buffer> {
  yield* body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
  if (interrupted() || ("complete" in body && body.complete === false)) {
    throw new LatchflowError(ErrorCode.BadRequest, "The upload was interrupted");
  }
}
