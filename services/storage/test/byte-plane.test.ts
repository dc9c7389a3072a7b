import { readdirSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { crc32 } from "node:zlib";
import { localBytePlane } from "@latchflow/runtime";
import { sameBytesSpelling, waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Blob } from "../src/blob-entity.js";
import { createCapabilities } from "../src/byte-plane/capability.js";
import { loadKeyring } from "../src/crypto/keyring.js";
import {
  type Backend,
  createBackend,
  ctx,
  listObjects,
  logger,
  putBlob,
  type RunningStorage,
  randomBytes,
  readObject,
  sha256,
  startStorage,
  writeObject,
} from "./harness.js";

const KiB = 1024;
const MiB = 1024 * KiB;

describe.each(["sqlite", "postgres"] as const)("storage byte plane on %s", (dialect) => {
  let backend: Backend;
  let storage: RunningStorage;
  const data = randomBytes(200 * KiB + 7);
  let blobId = "";
  let otherId = "";

  beforeAll(async () => {
    backend = await createBackend(dialect, "fs", inject("pgUrl"));
    storage = await startStorage(backend.tc);
    blobId = (await putBlob(storage.client, data)).blobId;
    otherId = (await putBlob(storage.client, randomBytes(1000))).blobId;
  });
  let planePort = 0;
  afterAll(async () => {
    await storage?.stop();
    await backend?.cleanup();
    // the in-process door closes with the listener
    if (planePort) expect(localBytePlane("127.0.0.1", planePort)).toBeUndefined();
  });

  const collect = async (stream: Readable) => {
    const parts: Buffer[] = [];
    for await (const c of stream as AsyncIterable<Buffer>) parts.push(c);
    return Buffer.concat(parts);
  };
  /** the in-process door (ADR 045) of the plane a capability names */
  const door = (cap: { port: number }) => {
    planePort = cap.port;
    const plane = localBytePlane("127.0.0.1", cap.port);
    if (!plane) throw new Error("no in-process byte plane registered");
    return plane;
  };

  const url = (cap: { port: number; path: string }, path = cap.path) => `http://127.0.0.1:${cap.port}${path}`;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const refused = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
  };

  it("serves exactly the range a read capability names", async () => {
    const cap = await storage.client.openBlobRead({ blobId, offset: 70_000, length: 100_000 }, ctx());
    expect(cap).toMatchObject({ offset: 70_000, length: 100_000 });
    const res = await fetch(url(cap), { headers: bearer(cap.token) });
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(data.subarray(70_000, 170_000))).toBe(true);
    // a Range header cannot widen it
    const again = await fetch(url(cap), { headers: { ...bearer(cap.token), range: "bytes=0-" } });
    expect(Buffer.from(await again.arrayBuffer()).length).toBe(100_000);
  });

  it("refuses no token, a tampered token, another spelling of its MAC, a token for another blob and a write token", async () => {
    const cap = await storage.client.openBlobRead({ blobId }, ctx());
    await refused(await fetch(url(cap)), 401, "unauthenticated");
    const [body, mac] = cap.token.split(".") as [string, string];
    const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<string, unknown>;
    const widened = Buffer.from(JSON.stringify({ ...claims, blobId: otherId, offset: 0 })).toString(
      "base64url",
    );
    await refused(
      await fetch(url(cap, `/v1/blobs/${otherId}`), { headers: bearer(`${widened}.${mac}`) }),
      401,
      "unauthenticated",
    );
    const flipped = `${body}.${mac.startsWith("A") ? "B" : "A"}${mac.slice(1)}`;
    await refused(await fetch(url(cap), { headers: bearer(flipped) }), 401, "unauthenticated");
    const alias = sameBytesSpelling(cap.token); // decodes to the same MAC: only its text differs
    expect(Buffer.from(alias.split(".")[1] ?? "", "base64url")).toEqual(Buffer.from(mac, "base64url"));
    await refused(await fetch(url(cap), { headers: bearer(alias) }), 401, "unauthenticated");
    await refused(
      await fetch(url(cap, `/v1/blobs/${otherId}`), { headers: bearer(cap.token) }),
      403,
      "permission_denied",
    );
    const write = await storage.client.openBlobWrite({ limitBytes: 0 }, ctx());
    await refused(await fetch(url(cap), { headers: bearer(write.token) }), 401, "unauthenticated");
  });

  it("refuses an expired token and one signed under another master key", async () => {
    const keyring = loadKeyring(backend.tc.config, logger);
    const past = createCapabilities(keyring.current, () => Date.now() - 120_000);
    const base = { op: "read", tenant: "default", requestId: "t", blobId, offset: 0, length: 10 } as const;
    const expired = past.mint(base);
    const cap = await storage.client.openBlobRead({ blobId }, ctx());
    await refused(await fetch(url(cap), { headers: bearer(expired.token) }), 401, "unauthenticated");
    const foreign = createCapabilities({ id: "x", key: randomBytes(32) }).mint(base);
    await refused(await fetch(url(cap), { headers: bearer(foreign.token) }), 401, "unauthenticated");
    // the same claims under the service's key are served: the two refusals above are about the token alone
    const good = createCapabilities(keyring.current).mint(base);
    expect((await fetch(url(cap), { headers: bearer(good.token) })).status).toBe(200);
  });

  it("serves the same range in process, under the same capability checks", async () => {
    const cap = await storage.client.openBlobRead({ blobId, offset: 70_000, length: 100_000 }, ctx());
    const plane = door(cap);
    const { stream, length } = await plane.openRead(cap.token, cap.path);
    expect(length).toBe(100_000);
    expect((await collect(stream)).equals(data.subarray(70_000, 170_000))).toBe(true);
    const [body, mac] = cap.token.split(".") as [string, string];
    const flipped = `${body}.${mac.startsWith("A") ? "B" : "A"}${mac.slice(1)}`;
    await expect(plane.openRead("", cap.path)).rejects.toMatchObject({ code: "unauthenticated" });
    await expect(plane.openRead(flipped, cap.path)).rejects.toMatchObject({ code: "unauthenticated" });
    await expect(plane.openRead(cap.token, `/v1/blobs/${otherId}`)).rejects.toMatchObject({
      code: "permission_denied",
    });
    await expect(plane.openRead(cap.token, "/v1/other")).rejects.toMatchObject({ code: "not_found" });
    const write = await storage.client.openBlobWrite({ limitBytes: 0 }, ctx());
    await expect(plane.openRead(write.token, cap.path)).rejects.toMatchObject({ code: "unauthenticated" });
  });

  it("mints reads only for the context tenant's blobs and in-range offsets", async () => {
    await expect(storage.client.openBlobRead({ blobId }, ctx("other"))).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(
      storage.client.openBlobRead({ blobId, offset: data.length + 1 }, ctx()),
    ).rejects.toMatchObject({
      code: "bad_request",
    });
  });

  /** a snapshot of what is stored; the returned check waits for no temp file and finds the same objects and rows */
  const storedNow = async () => {
    const db = await backend.db();
    const objects = await listObjects(backend.driver);
    const rows = (await db.em().find(Blob, {})).length;
    return async (description: string) => {
      const tmp = join(backend.tc.config.dataDir, "blobs", ".tmp");
      await waitFor(() => readdirSync(tmp).length === 0, { description });
      expect(await listObjects(backend.driver)).toEqual(objects);
      expect((await db.em().find(Blob, {})).length).toBe(rows);
    };
  };

  it("uploads once per write capability, within its limit and expected size", async () => {
    const payload = randomBytes(300 * KiB);
    const cap = await storage.client.openBlobWrite({ limitBytes: 1024 * KiB }, ctx());
    const res = await fetch(url(cap), { method: "PUT", headers: bearer(cap.token), body: payload });
    expect(res.status).toBe(201);
    const info = (await res.json()) as { blobId: string; sha256: string; size: number };
    expect(info).toMatchObject({ sha256: sha256(payload), size: payload.length });
    await refused(
      await fetch(url(cap), { method: "PUT", headers: bearer(cap.token), body: payload }),
      401,
      "unauthenticated",
    );
    const small = await storage.client.openBlobWrite({ limitBytes: 100 * KiB }, ctx());
    await refused(
      await fetch(url(small), { method: "PUT", headers: bearer(small.token), body: payload }),
      413,
      "payload_too_large",
    );
    const sized = await storage.client.openBlobWrite({ limitBytes: 0, expectedSize: 10 }, ctx());
    await refused(
      await fetch(url(sized), { method: "PUT", headers: bearer(sized.token), body: payload }),
      422,
      "validation_failed",
    );
    // the refused uploads stored nothing
    const rows = await (await backend.db()).em().find(Blob, {});
    expect(rows.map((r) => r.id).sort()).toEqual([blobId, otherId, info.blobId].sort());
  });

  it("stores a multi-MiB body, and a body broken midway leaves nothing", async () => {
    const unchanged = await storedNow();
    // broken: the connection drops after 3 of 8 MiB
    const broken = await storage.client.openBlobWrite({ limitBytes: 0, expectedSize: 8 * MiB }, ctx());
    await new Promise<void>((resolve) => {
      const req = request(url(broken), {
        method: "PUT",
        headers: { ...bearer(broken.token), "content-length": String(8 * MiB) },
      });
      req.on("error", () => resolve());
      req.on("response", () => resolve());
      req.write(randomBytes(3 * MiB), () => setTimeout(() => req.destroy(), 200));
    });
    await unchanged("no temp file of the broken upload");

    // whole: sizes that do not end on a chunk or batch boundary; the plaintext reads back
    const payload = randomBytes(5 * MiB + 12_345);
    const cap = await storage.client.openBlobWrite({ limitBytes: 0, expectedSize: payload.length }, ctx());
    const res = await fetch(url(cap), { method: "PUT", headers: bearer(cap.token), body: payload });
    expect(res.status).toBe(201);
    const info = (await res.json()) as { blobId: string; sha256: string; size: number; crc32: number };
    expect(info).toMatchObject({ sha256: sha256(payload), size: payload.length, crc32: crc32(payload) });
    const read = await storage.client.openBlobRead({ blobId: info.blobId }, ctx());
    const back = Buffer.from(await (await fetch(url(read), { headers: bearer(read.token) })).arrayBuffer());
    expect(back.equals(payload)).toBe(true);
  });

  /** a PUT whose body is written in `pieces` without a length (chunked); resolves with the status and error code */
  const putPieces = (cap: { port: number; path: string; token: string }, pieces: Buffer[]) =>
    new Promise<{ status: number; code: string }>((resolve, reject) => {
      const req = request(url(cap), { method: "PUT", headers: bearer(cap.token) }, async (res) => {
        let text = "";
        for await (const c of res as AsyncIterable<Buffer>) text += c.toString("utf8");
        resolve({
          status: res.statusCode ?? 0,
          code: (JSON.parse(text) as { error?: { code: string } }).error?.code ?? "",
        });
      });
      req.on("error", reject);
      const next = (i: number) => {
        if (i === pieces.length) req.end();
        else req.write(pieces[i], () => next(i + 1));
      };
      next(0);
    });

  it("refuses a streamed body mid-upload once it passes its limit or expected size, and stores nothing", async () => {
    const unchanged = await storedNow();
    const pieces = Array.from({ length: 12 }, () => randomBytes(256 * KiB + 3));
    // longer than declared: the refusal comes while the body is still arriving, the rest drains, the answer arrives
    const sized = await storage.client.openBlobWrite({ limitBytes: 0, expectedSize: 1 * MiB }, ctx());
    expect(await putPieces(sized, pieces)).toEqual({ status: 422, code: "validation_failed" });
    const limited = await storage.client.openBlobWrite({ limitBytes: 1 * MiB }, ctx());
    expect(await putPieces(limited, pieces)).toEqual({ status: 413, code: "payload_too_large" });
    // cut short: the body ends before the declared size
    const short = await storage.client.openBlobWrite({ limitBytes: 0, expectedSize: 4 * MiB }, ctx());
    expect(await putPieces(short, pieces.slice(0, 3))).toEqual({ status: 422, code: "validation_failed" });
    await unchanged("no temp file of the refused uploads");
  });

  it("in process: stores a body stream as it arrives, and one aborted midway fails and leaves nothing", async () => {
    const unchanged = await storedNow();
    const aborted = await storage.client.openBlobWrite({ limitBytes: 0 }, ctx());
    const body = new PassThrough();
    const stored = door(aborted).write(aborted.token, aborted.path, body);
    body.write(randomBytes(2 * MiB + 5));
    setTimeout(() => body.destroy(), 50);
    await expect(stored).rejects.toMatchObject({ code: "bad_request" });
    await unchanged("no temp file of the aborted upload");

    // whole, in pieces that do not fall on chunk boundaries; the plaintext reads back
    const payload = randomBytes(3 * MiB + 777);
    const cap = await storage.client.openBlobWrite({ limitBytes: 0, expectedSize: payload.length }, ctx());
    const pieces = [];
    for (let at = 0; at < payload.length; at += 100_001) pieces.push(payload.subarray(at, at + 100_001));
    const info = await door(cap).write(cap.token, cap.path, Readable.from(pieces));
    expect(info).toMatchObject({ sha256: sha256(payload), size: payload.length, crc32: crc32(payload) });
    const read = await storage.client.openBlobRead({ blobId: info.blobId }, ctx());
    const back = Buffer.from(await (await fetch(url(read), { headers: bearer(read.token) })).arrayBuffer());
    expect(back.equals(payload)).toBe(true);
  });

  it("in process with releaseBody: frees the body's pieces once sealed, and the plaintext reads back", async () => {
    const payload = randomBytes(2 * MiB + 4321);
    const cap = await storage.client.openBlobWrite({ limitBytes: 0, expectedSize: payload.length }, ctx());
    // pieces of their own, as node:http hands a request body on
    const pieces: Buffer[] = [];
    for (let at = 0; at < payload.length; at += 65_000) {
      const piece = Buffer.allocUnsafeSlow(Math.min(65_000, payload.length - at));
      payload.copy(piece, 0, at);
      pieces.push(piece);
    }
    const info = await door(cap).write(cap.token, cap.path, Readable.from(pieces), { releaseBody: true });
    expect(info).toMatchObject({ sha256: sha256(payload), size: payload.length, crc32: crc32(payload) });
    expect(pieces.every((p) => p.length === 0)).toBe(true);
    const read = await storage.client.openBlobRead({ blobId: info.blobId }, ctx());
    const back = Buffer.from(await (await fetch(url(read), { headers: bearer(read.token) })).arrayBuffer());
    expect(back.equals(payload)).toBe(true);
  });

  it("breaks the transfer when a stored chunk was altered", async () => {
    const row = await (await backend.db()).em().findOneOrFail(Blob, { id: blobId }, { refresh: true });
    const bytes = await readObject(backend.driver, row.driverKey);
    const altered = Buffer.from(bytes);
    altered[150 * KiB] = (altered[150 * KiB] ?? 0) ^ 1;
    await writeObject(backend.driver, row.driverKey, altered);
    try {
      const cap = await storage.client.openBlobRead({ blobId }, ctx());
      const res = await fetch(url(cap), { headers: bearer(cap.token) });
      expect(res.status).toBe(200);
      await expect(res.arrayBuffer()).rejects.toThrow();
      // in process too: the stream fails (nothing of the altered chunk is handed on as if it were whole)
      const local = await door(cap).openRead(cap.token, cap.path);
      await expect(collect(local.stream)).rejects.toMatchObject({ code: "integrity_failed" });
    } finally {
      await writeObject(backend.driver, row.driverKey, bytes);
    }
  });
});
