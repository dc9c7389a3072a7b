import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { storageV1 } from "@latchflow/proto";
import { ErrorCode, type LatchflowError } from "@latchflow/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { readBlobRange, writeBlob } from "./byte-plane.js";

// The gateway's side of a byte-plane read from another process (ADR 057: the answer read from a bare socket),
// against a node:http server standing in for storage's plane (not registered as an in-process door).

const ctx = { requestId: "req-1", tenant: "t1" };
const TOKEN = "claims.signature";

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (s) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A stand-in plane answering with `answer`; returns the clients the gateway would use and what it saw. */
async function plane(answer: (req: IncomingMessage, res: ServerResponse) => void, length: number) {
  const seen: { path?: string; authorization?: string } = {};
  server = createServer((req, res) => {
    seen.path = req.url;
    seen.authorization = req.headers.authorization;
    answer(req, res);
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const clients = {
    storageHost: "127.0.0.1",
    storage: {
      openBlobRead: async (slice: storageV1.OpenBlobReadRequest) => ({
        port,
        path: `/v1/blobs/${slice.blobId}`,
        token: TOKEN,
        offset: slice.offset ?? 0,
        length,
      }),
    },
  };
  return { clients, seen };
}

async function collect(stream: Readable): Promise<{ bytes: Buffer; error?: LatchflowError }> {
  const parts: Buffer[] = [];
  try {
    for await (const c of stream as AsyncIterable<Buffer>) parts.push(c);
    return { bytes: Buffer.concat(parts) };
  } catch (err) {
    return { bytes: Buffer.concat(parts), error: err as LatchflowError };
  }
}

const slice = (length: number) => ({ blobId: "blob-1", offset: 0, length });

describe("readBlobRange over the byte plane's HTTP", () => {
  it("sends the capability's path and token and hands on exactly the announced body", async () => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    const { clients, seen } = await plane((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
      res.end(body);
    }, body.length);
    const got = await collect(await readBlobRange(clients, slice(body.length), ctx));
    expect(got.error).toBeUndefined();
    expect(got.bytes.equals(body)).toBe(true);
    expect(seen).toEqual({ path: "/v1/blobs/blob-1", authorization: `Bearer ${TOKEN}` });
  });

  it("turns a refusal into the error it carries", async () => {
    const { clients } = await plane((_req, res) => {
      const json = JSON.stringify({
        error: { code: "unauthenticated", message: "no", details: { reason: "expired" } },
      });
      res.writeHead(401, { "content-type": "application/json", "content-length": json.length });
      res.end(json);
    }, 10);
    await expect(readBlobRange(clients, slice(10), ctx)).rejects.toMatchObject({
      code: ErrorCode.Unauthenticated,
      details: { reason: "expired" },
    });
  });

  it("fails a body that stops short (storage broke the transfer), never ends it cleanly", async () => {
    const { clients } = await plane((_req, res) => {
      res.writeHead(200, { "content-length": 1024 * 1024 });
      res.write(Buffer.alloc(4096), () => res.destroy());
    }, 1024 * 1024);
    const got = await collect(await readBlobRange(clients, slice(1024 * 1024), ctx));
    expect(got.error).toBeDefined();
    expect(got.bytes.length).toBeLessThan(1024 * 1024);
  });

  it("refuses an answer announcing another length than the capability's range", async () => {
    const { clients } = await plane((_req, res) => {
      res.writeHead(200, { "content-length": 5 });
      res.end("hello");
    }, 6);
    await expect(readBlobRange(clients, slice(6), ctx)).rejects.toMatchObject({
      code: ErrorCode.IntegrityFailed,
    });
  });

  it("refuses an answer without a length, and a head that never ends", async () => {
    const { clients } = await plane((req, res) => {
      if (req.url?.endsWith("chunked")) {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.end("hello");
        return;
      }
      res.socket?.write(`HTTP/1.1 200 OK\r\nx: ${"a".repeat(20_000)}`);
    }, 5);
    await expect(
      readBlobRange(clients, { blobId: "chunked", offset: 0, length: 5 }, ctx),
    ).rejects.toMatchObject({ code: ErrorCode.Unavailable });
    await expect(readBlobRange(clients, slice(5), ctx)).rejects.toMatchObject({
      code: ErrorCode.Unavailable,
    });
  });

  it("reports storage unreachable when nothing listens", async () => {
    const { clients } = await plane(() => undefined, 5);
    const s = server;
    server = undefined;
    await new Promise((r) => s?.close(r));
    await expect(readBlobRange(clients, slice(5), ctx)).rejects.toMatchObject({
      code: ErrorCode.Unavailable,
    });
  });
});

describe("writeBlob over the byte plane's HTTP", () => {
  /** A stand-in plane storing a PUT's body and answering 201 with its size. */
  async function putPlane() {
    const got: Buffer[] = [];
    const { clients: readClients } = await plane((req, res) => {
      req.on("data", (c: Buffer) => got.push(c));
      req.on("end", () => {
        const size = got.reduce((n, c) => n + c.length, 0);
        const json = JSON.stringify({
          blobId: "b1",
          sha256: "x",
          size,
          crc32: 0,
          refcount: 1,
          createdAt: new Date().toISOString(),
        });
        res.writeHead(201, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
        res.end(json);
      });
    }, 0);
    const port = (await readClients.storage.openBlobRead(slice(0))).port;
    const clients = {
      storageHost: "127.0.0.1",
      storage: {
        openBlobWrite: async () => ({ port, path: "/v1/blobs", token: TOKEN, offset: 0, length: 0 }),
      },
    };
    return { clients, got };
  }

  it("with releaseBody frees each piece once sent, and storage gets every byte", async () => {
    const { clients, got } = await putPlane();
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const pieces: Buffer[] = [];
    for (let at = 0; at < data.length; at += 64 * 1024) {
      const piece = Buffer.allocUnsafeSlow(Math.min(64 * 1024, data.length - at));
      data.copy(piece, 0, at);
      pieces.push(piece);
    }
    const info = await writeBlob(clients, Readable.from(pieces), ctx, {
      limitBytes: 0,
      expectedSize: data.length,
      releaseBody: true,
    });
    expect(info).toMatchObject({ blobId: "b1", size: data.length });
    expect(Buffer.concat(got).equals(data)).toBe(true);
    expect(pieces.every((p) => p.length === 0)).toBe(true);
  });

  it("with releaseBody still reports storage's refusal mid-body, and a connection storage cut", async () => {
    const body = () => Readable.from(Array.from({ length: 64 }, () => Buffer.alloc(64 * 1024, 1)));
    const options = { limitBytes: 1024 * 1024, releaseBody: true };
    const refusing = await plane((req, res) => {
      let seen = 0;
      req.on("data", (c: Buffer) => {
        seen += c.length;
        if (seen > 1024 * 1024 && !res.headersSent) {
          const json = JSON.stringify({ error: { code: "payload_too_large", message: "limited" } });
          res.writeHead(413, {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(json),
          });
          res.end(json);
        }
      });
    }, 0);
    const port = (await refusing.clients.storage.openBlobRead(slice(0))).port;
    const clients = (p: number) => ({
      storageHost: "127.0.0.1",
      storage: {
        openBlobWrite: async () => ({ port: p, path: "/v1/blobs", token: TOKEN, offset: 0, length: 0 }),
      },
    });
    await expect(writeBlob(clients(port), body(), ctx, options)).rejects.toMatchObject({
      code: ErrorCode.PayloadTooLarge,
    });

    server?.closeAllConnections();
    server?.close();
    const cutting = await plane((req) => {
      req.once("data", () => req.socket.destroy());
    }, 0);
    const cutPort = (await cutting.clients.storage.openBlobRead(slice(0))).port;
    await expect(writeBlob(clients(cutPort), body(), ctx, options)).rejects.toMatchObject({
      code: ErrorCode.Unavailable,
    });
  });
});
