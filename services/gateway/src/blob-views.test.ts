import { createHash, randomBytes } from "node:crypto";
import { createServer, get, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Readable } from "node:stream";
import type { bundlesV1, storageV1 } from "@latchflow/proto";
import Koa from "koa";
import { afterEach, describe, expect, it } from "vitest";
import { adoptBlobPiece, markRouteBody, sendBlobViews, splitInto, viewWritten } from "./blob-views.js";
import { settleUnsent, streamPieces } from "./streaming.js";

// The gateway's download path frees a blob range's buffers once the response wrote them (ADR 068): a stand-in
// storage plane (node:http, as storage's byte plane answers) and a Koa app with the gateway's outermost writer.

const ctx = { requestId: "req-1", tenant: "t1" };
const KiB = 1024;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const detached = (v: Uint8Array) => v.buffer instanceof ArrayBuffer && v.buffer.detached;

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

/** Storage's plane answering blob ranges of `blobs`; `breakAfter` bytes, when set, then the connection drops. */
async function storagePlane(blobs: Record<string, Buffer>, options: { breakAfter?: number } = {}) {
  const closed: string[] = [];
  const port = await listen(
    createServer((req, res) => {
      const [, , , blobId = "", offset = "0", length = "0"] = (req.url ?? "").split("/");
      const bytes =
        blobs[blobId]?.subarray(Number(offset), Number(offset) + Number(length)) ?? Buffer.alloc(0);
      res.writeHead(200, { "content-length": String(bytes.length) });
      res.once("close", () => closed.push(blobId));
      if (options.breakAfter === undefined) res.end(bytes);
      else res.write(bytes.subarray(0, options.breakAfter), () => res.destroy());
    }),
  );
  const clients = {
    storageHost: "127.0.0.1",
    storage: {
      openBlobRead: async (s: storageV1.OpenBlobReadRequest): Promise<storageV1.BlobCapability> => ({
        port,
        path: `/v1/blobs/${s.blobId}/${s.offset}/${s.length}`,
        token: "claims.signature",
        offset: s.offset ?? 0,
        length: s.length ?? 0,
      }),
    },
  };
  return { clients, closed };
}

const literal = (bytes: Buffer): bundlesV1.ArchivePiece => ({ piece: { $case: "data", data: bytes } });
const range = (blobId: string, offset: number, length: number): bundlesV1.ArchivePiece => ({
  piece: { $case: "blob", blob: { blobId, offset, length } },
});

/**
 * A gateway-like app answering `pieces` as an archive (settleUnsent over streamPieces, the route's body);
 * `views` collects every buffer the body handed to the response, `given` the bytes given back.
 */
async function gateway(
  clients: Parameters<typeof streamPieces>[0],
  pieces: bundlesV1.ArchivePiece[],
  status = 200,
) {
  const views: Uint8Array[] = [];
  const given: number[] = [];
  const bodies: Readable[] = [];
  const reported: Error[] = [];
  const length = pieces.reduce(
    (n, p) => n + (p.piece?.$case === "data" ? p.piece.data.length : (p.piece?.blob.length ?? 0)),
    0,
  );
  const app = new Koa();
  app.on("error", (err: Error) => reported.push(err));
  // outside the writer, so it watches the body only once the writer took it over
  app.use(async (koa, next) => {
    await next();
    const body = koa.body as Readable;
    body.on("data", (c: Uint8Array) => views.push(c));
  });
  app.use(sendBlobViews());
  app.use((koa) => {
    const body = settleUnsent(streamPieces(clients, pieces, ctx), length, (n) => given.push(n));
    body.once("error", () => koa.res.destroy());
    bodies.push(body);
    markRouteBody(body);
    koa.status = status;
    if (status === 206) koa.set("Content-Range", `bytes 5-${4 + length}/999999`);
    koa.length = length;
    koa.body = body;
  });
  const port = await listen(createServer(app.callback()));
  return { port, views, given, bodies, length, reported };
}

/** GETs the app's answer: status, headers, body, and whether the transfer broke. */
function fetchBody(port: number, leaveAfter?: number) {
  return new Promise<{ status: number; range?: string; bytes: Buffer; broken: boolean }>((resolve) => {
    const req = get({ host: "127.0.0.1", port, path: "/" }, (res) => {
      const got: Buffer[] = [];
      let n = 0;
      const done = (broken: boolean) =>
        resolve({
          status: res.statusCode ?? 0,
          range: res.headers["content-range"],
          bytes: Buffer.concat(got),
          broken,
        });
      res.on("data", (c: Buffer) => {
        got.push(c);
        n += c.length;
        if (leaveAfter !== undefined && n >= leaveAfter) {
          req.destroy();
          done(true);
        }
      });
      res.once("end", () => done(false));
      res.once("aborted", () => done(true));
      res.once("error", () => done(true));
    });
    req.once("error", () => undefined);
  });
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe("the blob views of a download", () => {
  it("frees a buffer sliced into several views only once the last of them was written", () => {
    const buffer = new Uint8Array(200 * KiB).fill(7);
    adoptBlobPiece(buffer);
    splitInto(buffer, 4);
    const views = [0, 1, 2, 3].map((i) => buffer.subarray(i * 64 * KiB, (i + 1) * 64 * KiB));
    for (const v of views.slice(0, 3)) viewWritten(v);
    expect(detached(buffer)).toBe(false);
    expect(views[3]?.every((b) => b === 7)).toBe(true);
    viewWritten(views[3] ?? buffer);
    expect(detached(buffer)).toBe(true);
  });

  it("never frees a buffer it did not adopt, nor a view into a larger one", () => {
    const literalBytes = new Uint8Array(64 * KiB).fill(1);
    viewWritten(literalBytes);
    const message = new Uint8Array(128 * KiB);
    const inside = message.subarray(KiB, 65 * KiB);
    adoptBlobPiece(inside);
    viewWritten(inside);
    expect(detached(literalBytes)).toBe(false);
    expect(detached(message)).toBe(false);
  });
});

describe("an archive answered by the gateway", () => {
  it("sends every byte in order and frees the blob ranges' buffers, never the literal ZIP bytes", async () => {
    const blobs = { a: randomBytes(3 * 1024 * KiB + 17), b: randomBytes(5 * KiB) };
    const { clients } = await storagePlane(blobs);
    // literal pieces that span their own memory, one larger than a slice: still never freed
    const head = Buffer.alloc(100 * KiB, 0x50);
    const tail = Buffer.alloc(30, 0x4b);
    const pieces = [
      literal(head),
      range("a", 0, blobs.a.length),
      range("b", 0, blobs.b.length),
      literal(tail),
    ];
    const { port, views, given, reported } = await gateway(clients, pieces);
    const got = await fetchBody(port);
    await settle();
    expect(got.broken).toBe(false);
    expect(sha256(got.bytes)).toBe(sha256(Buffer.concat([head, blobs.a, blobs.b, tail])));
    expect(reported).toEqual([]);
    expect(given).toEqual([]);
    expect(head.every((b) => b === 0x50) && tail.every((b) => b === 0x4b)).toBe(true);
    const ranged = views.filter((v) => v.buffer !== head.buffer && v.buffer !== tail.buffer);
    expect(ranged.length).toBeGreaterThan(0);
    // every socket read from storage that spans its own memory went back at once; one that does not (the rest
    // of the read that carried the answer's head, a short read in a larger allocation) is left to the collector
    const kept = ranged.filter((v) => !detached(v));
    expect(kept.every((v) => v.byteLength < v.buffer.byteLength)).toBe(true);
    expect(kept.length).toBeLessThan(ranged.length / 4);
  });

  it("answers a range with its status and headers and the bytes of that range only", async () => {
    const blobs = { a: randomBytes(700 * KiB) };
    const { clients } = await storagePlane(blobs);
    const { port } = await gateway(clients, [range("a", 5, 600 * KiB)], 206);
    const got = await fetchBody(port);
    expect(got.status).toBe(206);
    expect(got.range).toBe(`bytes 5-${4 + 600 * KiB}/999999`);
    expect(sha256(got.bytes)).toBe(sha256(blobs.a.subarray(5, 5 + 600 * KiB)));
  });

  it("breaks the transfer when storage fails mid-range, never a complete-looking body", async () => {
    const blobs = { a: randomBytes(2 * 1024 * KiB) };
    const { clients } = await storagePlane(blobs, { breakAfter: 300 * KiB });
    const { port, given, length, reported } = await gateway(clients, [range("a", 0, blobs.a.length)]);
    const got = await fetchBody(port);
    await settle();
    expect(got.broken).toBe(true);
    expect(got.bytes.length).toBeLessThan(length);
    expect(got.bytes.equals(blobs.a.subarray(0, got.bytes.length))).toBe(true);
    expect(reported.map((e) => e.message)).toContain("Storage ended a blob range early");
    expect(given).toHaveLength(1);
    expect(given[0]).toBeGreaterThan(0);
  });

  it("stops reading from storage when the client leaves early, and gives back what was not sent", async () => {
    const blobs = { a: randomBytes(16 * 1024 * KiB) };
    const { clients, closed } = await storagePlane(blobs);
    const { port, given, bodies, reported } = await gateway(clients, [range("a", 0, blobs.a.length)]);
    const got = await fetchBody(port, 256 * KiB);
    await settle();
    expect(got.broken).toBe(true);
    expect(bodies[0]?.destroyed).toBe(true);
    expect(closed).toEqual(["a"]);
    expect(reported.length).toBeGreaterThan(0);
    expect(given).toHaveLength(1);
    expect(given[0]).toBeGreaterThan(0);
  });
});
