import { Agent, type IncomingMessage, request } from "node:http";
import { connect } from "node:net";
import { pipeline, type Readable, Transform } from "node:stream";
import type { storageV1 } from "@latchflow/proto";
import {
  ErrorCode,
  isErrorCode,
  LatchflowError,
  localBytePlane,
  type RequestContext,
  releasingWrites,
} from "@latchflow/runtime";
import type { GatewayClients } from "./clients.js";

/**
 * One connection per transfer: a kept-alive socket that storage closes while idle races with its reuse and
 * breaks a response already under way (a loopback connect costs far less than a transfer).
 */
const agent = new Agent({ keepAlive: false });

/**
 * The PUT of an upload buffers up to 1 MiB before pausing (at the default 64 KiB every upload piece would pause
 * the client's body and resume it on "drain"). Node takes `highWaterMark` in request options; @types/node does
 * not list it, hence a spread.
 */
const TRANSFER_BUFFER = { highWaterMark: 1024 * 1024 };

/** The error a byte-plane answer carries (the one error shape), or a generic one. */
async function answerError(status: number | undefined, body: Readable): Promise<LatchflowError> {
  let text = "";
  for await (const c of body as AsyncIterable<Buffer>) text += c.toString("utf8");
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
  return new LatchflowError(ErrorCode.Unavailable, `Storage answered ${status}`);
}

/** The most an answer's status line and headers may take. */
const MAX_HEAD = 16 * 1024;
const unreachable = (cause: unknown) =>
  new LatchflowError(ErrorCode.Unavailable, "Storage byte plane unreachable", { cause });

/**
 * `PUT` of an upload body on the byte plane. With `releaseBody` each piece is freed once written to storage's
 * socket (ADR 064).
 */
function put(
  host: string,
  cap: storageV1.BlobCapability,
  headers: Record<string, string>,
  body: Readable,
  releaseBody: boolean,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: cap.port,
        path: cap.path,
        method: "PUT",
        agent,
        ...TRANSFER_BUFFER,
        headers: { ...headers, authorization: `Bearer ${cap.token}` },
      },
      resolve,
    );
    req.once("error", (err) => reject(unreachable(err)));
    body.once("error", (err) => req.destroy(err));
    if (!releaseBody) {
      body.pipe(req);
      return;
    }
    const sink = releasingWrites(req, TRANSFER_BUFFER.highWaterMark);
    // the request's own error rejects above; the writer only repeats it
    sink.once("error", () => undefined);
    body.pipe(sink);
  });
}

/**
 * Opens a blob's plaintext range on the storage byte plane (ADR 036): a capability from OpenBlobRead, then
 * a plain HTTP GET (or the in-process door). The returned stream fails when the transfer breaks or ends
 * short (an integrity failure in storage destroys the response), so a broken member never looks complete.
 */
export async function readBlobRange(
  clients: Pick<GatewayClients, "storageHost"> & { storage: Pick<GatewayClients["storage"], "openBlobRead"> },
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
  const answer = await get(clients.storageHost, cap);
  if (answer.status !== 200) throw await answerError(answer.status, answer.body);
  return checkedLength(answer.body, answer.length, cap.length);
}

/**
 * `GET` on the byte plane over a bare socket (one per transfer, `connection: close`): the answer's head is
 * parsed here and its body is the socket itself, so the bytes reach the archive as the kernel delivered
 * them. Node's HTTP client copies every body piece once more, and that copy and its garbage were the
 * gateway's largest cost in a distributed download (ADR 057). The body ends when storage closes the
 * connection; `checkedLength` holds it to the announced `content-length`.
 */
function get(
  host: string,
  cap: storageV1.BlobCapability,
): Promise<{ status: number; length: number; body: Readable }> {
  return new Promise((resolve, reject) => {
    if (/[\s]/.test(cap.path + cap.token)) {
      reject(unreachable(new Error("malformed capability")));
      return;
    }
    const socket = connect({ host, port: cap.port });
    let head: Buffer = Buffer.alloc(0);
    const fail = (err: unknown) => {
      socket.destroy();
      reject(unreachable(err));
    };
    const early = () => fail(new Error("storage closed the connection before answering"));
    const onData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const at = head.indexOf("\r\n\r\n");
      if (at < 0) {
        if (head.length > MAX_HEAD) fail(new Error("answer head too long"));
        return;
      }
      socket.off("data", onData).off("error", fail).off("end", early);
      socket.pause();
      const lines = head.subarray(0, at).toString("latin1").split("\r\n");
      const status = /^HTTP\/1\.[01] (\d{3}) /.exec(lines[0] ?? "");
      const lengthHeader = lines.find((l) => /^content-length:/i.test(l));
      const length = lengthHeader === undefined ? Number.NaN : Number(lengthHeader.slice(15).trim());
      if (!status || !Number.isSafeInteger(length) || length < 0) {
        fail(new Error("malformed answer head"));
        return;
      }
      const rest = head.subarray(at + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve({ status: Number(status[1]), length, body: socket });
    };
    socket.on("data", onData).once("error", fail).once("end", early);
    socket.write(
      `GET ${cap.path} HTTP/1.1\r\nhost: ${host}:${cap.port}\r\n` +
        `authorization: Bearer ${cap.token}\r\nconnection: close\r\n\r\n`,
    );
  });
}

/**
 * `stream` held to the capability's range: the returned stream fails, instead of ending, when the bytes that
 * came are more or fewer than `expected` (a transfer storage broke off, e.g. on an integrity failure, ends the
 * socket early).
 */
function checkedLength(stream: Readable, announced: number, expected: number): Readable {
  const wrongLength = (message: string) => new LatchflowError(ErrorCode.IntegrityFailed, message);
  if (announced !== expected) {
    stream.destroy();
    throw wrongLength("Storage answered another range than the capability's");
  }
  let received = 0;
  const counted = new Transform({
    highWaterMark: 1024 * 1024,
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      done(received > expected ? wrongLength("Storage sent more than the blob range") : null, chunk);
    },
    flush(done) {
      done(received === expected ? null : wrongLength("Storage ended a blob range early"));
    },
  });
  return pipeline(stream, counted, () => undefined);
}

/**
 * Uploads a body to the storage byte plane (one pass there: hash, encrypt and write as the bytes arrive):
 * a capability from OpenBlobWrite that carries this request's context and limits, then a plain HTTP PUT — or,
 * when storage runs in this process, the same capability handed to its in-process door (ADR 052).
 * `releaseBody`: nothing else references the body's pieces (an HTTP request's own body), so each may be freed
 * once storage sealed it (ADR 064).
 */
export async function writeBlob(
  clients: Pick<GatewayClients, "storageHost"> & {
    storage: Pick<GatewayClients["storage"], "openBlobWrite">;
  },
  body: Readable,
  ctx: RequestContext,
  options: { limitBytes: number; expectedSize?: number; releaseBody?: boolean },
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
      // the body is piped into storage's sealer as its pieces arrive; cut off, it fails the upload
      return await local.write(cap.token, cap.path, body, { releaseBody: options.releaseBody ?? false });
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
    res = await put(clients.storageHost, cap, headers, body, options.releaseBody ?? false);
  } catch (err) {
    if (interrupted) throw new LatchflowError(ErrorCode.BadRequest, "The upload was interrupted");
    throw err;
  }
  if (res.statusCode !== 201) {
    body.destroy();
    throw await answerError(res.statusCode, res);
  }
  let text = "";
  for await (const c of res as AsyncIterable<Buffer>) text += c.toString("utf8");
  const info = JSON.parse(text) as Omit<storageV1.BlobInfo, "createdAt"> & { createdAt: string };
  return { ...info, createdAt: new Date(info.createdAt) };
}
