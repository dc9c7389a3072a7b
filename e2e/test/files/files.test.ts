import { closeSync, openSync, readdirSync, readSync, statSync, truncateSync, writeSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import type { Client } from "@latchflow/api";
import { waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "../http.js";
import { MODES, OWNER_TOKEN, type Stack, startStack } from "../stack.js";
import {
  fetchBytes,
  grantDownload,
  recipientBrowser,
  releasedBundle,
  sessionOf,
  sha256,
  upload,
} from "./helpers.js";

const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

/** Stored objects (encrypted blobs) of a stack: files under <dataDir>/blobs, or s3rver's object files. */
function storedObjects(s: Stack): string[] {
  const root = s.s3 ? s.s3.dir : join(s.dataDir, "blobs");
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== ".tmp") walk(p);
      } else if (s.s3 ? e.name.endsWith("._S3rver_object") : true) out.push(p);
    }
  };
  walk(root);
  return out;
}

/** small enough to pass in a test, above every upload this file makes on purpose */
const UPLOAD_LIMIT = 2 * 1024 * 1024;

describe.each(MODES)("files on %s + %s", (dialect, bus) => {
  let s: Stack;
  let api: Client;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "files", { LATCHFLOW_UPLOAD_LIMIT_BYTES: String(UPLOAD_LIMIT) });
    api = s.client();
  });
  /** A file's content as the owner downloads it. */
  const content = async (id: string) => {
    const res = await api.downloadFile({ params: { id } });
    return { headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };
  afterAll(async () => {
    await s?.stop();
  });

  it("uploads raw and multipart, lists with search and folders, edits metadata and moves", async () => {
    const raw = await upload(s, "Brief an Anna.txt", bytes(5000, 1), "/letters");
    const form = new FormData();
    form.append("folder", "/photos/2024");
    form.append("file", new Blob([bytes(4096, 2)], { type: "image/png" }), "beach.png");
    const mp = await api.uploadFile({ body: form });
    expect(mp).toMatchObject({
      name: "beach.png",
      folder: "/photos/2024",
      contentType: "image/png",
      size: 4096,
      sha256: sha256(bytes(4096, 2)),
    });

    const search = await api.listFiles({ query: { q: "anna" } });
    expect(search.items.map((f) => f.id)).toEqual([raw]);
    const inFolder = await api.listFiles({ query: { folder: "/photos/2024" } });
    expect(inFolder.items.map((f) => f.id)).toEqual([mp.id]);

    const moved = await api.updateFile({
      params: { id: raw },
      body: { folder: "/archive", name: "Brief.txt", metadata: { year: "2024" } },
    });
    expect(moved).toMatchObject({ folder: "/archive", name: "Brief.txt", metadata: { year: "2024" } });
    expectError(
      await api.raw.updateFile({ params: { id: raw }, body: { folder: "/../etc" } }),
      422,
      "validation_failed",
    );

    const stored = await content(raw);
    expect(sha256(stored.body)).toBe(sha256(bytes(5000, 1)));
    expect(stored.headers.get("content-disposition")).toContain("Brief.txt");
  });

  it("rejects bad uploads without leaving anything behind", async () => {
    const before = storedObjects(s).length;
    // no X-File-Name header
    expectError(
      await s.api("POST", "/api/v1/files", {
        body: "abc",
        headers: { "content-type": "application/octet-stream" },
      }),
      400,
      "bad_request",
    );
    const slashed = await api.raw.uploadFile({
      body: "abc",
      headers: { "x-file-name": encodeURIComponent("a/b.txt") },
    });
    expectError(slashed, 422, "validation_failed");
    // over the upload limit, raw (with and without a length) and multipart
    const big = bytes(UPLOAD_LIMIT + 1, 5);
    const name = { "x-file-name": "big.bin" };
    expectError(await api.raw.uploadFile({ body: big, headers: name }), 413, "payload_too_large");
    const unsized = new Blob([big]).stream();
    expectError(await api.raw.uploadFile({ body: unsized, headers: name }), 413, "payload_too_large");
    const form = new FormData();
    form.append("file", new Blob([big]), "big.bin");
    expectError(await api.raw.uploadFile({ body: form }), 413, "payload_too_large");
    await waitFor(() => storedObjects(s).length === before, {
      timeoutMs: 5000,
      description: "no new stored object",
    });
  });

  it("an upload cut off midway leaves no file and no stored object", async () => {
    const before = storedObjects(s).length;
    const filesBefore = (await api.listFiles({ query: { limit: 200 } })).items.length;
    const url = new URL(`${s.base}/api/v1/files`);
    await new Promise<void>((resolve) => {
      const req = request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: {
          authorization: `Bearer ${OWNER_TOKEN}`,
          "content-type": "application/octet-stream",
          "content-length": String(4 * 1024 * 1024),
          "x-file-name": "cut.bin",
        },
      });
      req.on("error", () => resolve());
      req.write(bytes(1024 * 1024, 9));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
    await new Promise((r) => setTimeout(r, 500));
    await waitFor(() => storedObjects(s).length === before, {
      timeoutMs: 10_000,
      description: "nothing stored",
    });
    const filesAfter = (await api.listFiles({ query: { limit: 200 } })).items.length;
    expect(filesAfter).toBe(filesBefore);
  });

  it("deduplicates identical content; a file shared by two bundles keeps its blob until the last use goes", async () => {
    const data = bytes(300_000, 3);
    const objectsBefore = storedObjects(s).length;
    const a = await upload(s, "shared.bin", data);
    const b = await upload(s, "shared-copy.bin", data);
    expect(storedObjects(s).length).toBe(objectsBefore + 1);
    await api.deleteFile({ params: { id: b } });

    const one = await api.createBundle({ body: { name: "one" } });
    const two = await api.createBundle({ body: { name: "two" } });
    for (const bundle of [one, two]) {
      const set = await api.setBundleObjects({
        params: { id: bundle.id },
        body: { objects: [{ fileId: a }] },
      });
      expect(set.objects.map((o) => o.fileId)).toEqual([a]);
    }
    expectError(await api.raw.deleteFile({ params: { id: a } }), 409, "conflict");
    await api.setBundleObjects({ params: { id: one.id }, body: { objects: [] } });
    expect(storedObjects(s).length).toBe(objectsBefore + 1);
    expect(sha256((await content(a)).body)).toBe(sha256(data));

    await api.setBundleObjects({ params: { id: two.id }, body: { objects: [] } });
    expect((await api.deleteFile({ params: { id: a } })).id).toBe(a);
    await waitFor(() => storedObjects(s).length === objectsBefore, {
      timeoutMs: 10_000,
      description: "the blob freed",
    });
  });

  it("never sends corrupted plaintext: a flipped byte or a truncated blob aborts the download", async () => {
    const data = bytes(400_000, 4);
    const before = new Set(storedObjects(s));
    const r = await releasedBundle(s, "tampered", [{ name: "t.bin", data }]);
    const object = storedObjects(s).find((p) => !before.has(p))!;
    expect(object).toBeDefined();
    const browser = await recipientBrowser(s, r.email);
    const grant = async () => (await grantDownload(browser, r.bundleId)).url;

    const fd = openSync(object, "r+");
    const one = Buffer.alloc(1);
    const at = Math.floor(statSync(object).size / 2);
    readSync(fd, one, 0, 1, at);
    writeSync(fd, Buffer.from([one[0]! ^ 0xff]), 0, 1, at);
    closeSync(fd);
    await expect(fetchBytes(await grant(), sessionOf(browser))).rejects.toThrow();

    writeSync(openSync(object, "r+"), one, 0, 1, at);
    truncateSync(object, statSync(object).size - 1000);
    await expect(fetchBytes(await grant(), sessionOf(browser))).rejects.toThrow();
  });

  it("answers unknown ids and tokens with 404", async () => {
    expectError(await api.raw.getFile({ params: { id: "01J00000000000000000000000" } }), 404, "not_found");
    const grant = await s
      .browser()
      .client()
      .raw.downloadGrant({ params: { token: "a".repeat(43) } });
    expect(grant.status).toBe(404);
  });
});
