import { closeSync, openSync, readdirSync, readSync, statSync, truncateSync, writeSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, http } from "../http.js";
import { MODES, OWNER_TOKEN, type Stack, startStack } from "../stack.js";
import {
  fetchBytes,
  type Ids,
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

describe.each(MODES)("files on %s + %s", (dialect, bus) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "files");
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("uploads raw and multipart, lists with search and folders, edits metadata and moves", async () => {
    const raw = await upload(s, "Brief an Anna.txt", bytes(5000, 1), "/letters");
    const form = new FormData();
    form.append("folder", "/photos/2024");
    form.append("file", new Blob([bytes(4096, 2)], { type: "image/png" }), "beach.png");
    const multipart = await fetch(`${s.base}/api/v1/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${OWNER_TOKEN}` },
      body: form,
    });
    expect(multipart.status).toBe(201);
    const mp = (await multipart.json()) as {
      id: string;
      name: string;
      folder: string;
      contentType: string;
      size: number;
      sha256: string;
    };
    expect(mp).toMatchObject({
      name: "beach.png",
      folder: "/photos/2024",
      contentType: "image/png",
      size: 4096,
      sha256: sha256(bytes(4096, 2)),
    });

    const search = await s.api("GET", "/api/v1/files?q=anna");
    expect((search.body as { items: Ids[] }).items.map((f) => f.id)).toEqual([raw]);
    const inFolder = await s.api("GET", "/api/v1/files?folder=/photos/2024");
    expect((inFolder.body as { items: Ids[] }).items.map((f) => f.id)).toEqual([mp.id]);

    const moved = await s.api("PATCH", `/api/v1/files/${raw}`, {
      json: { folder: "/archive", name: "Brief.txt", metadata: { year: "2024" } },
    });
    expect(moved.body).toMatchObject({ folder: "/archive", name: "Brief.txt", metadata: { year: "2024" } });
    expectError(
      await s.api("PATCH", `/api/v1/files/${raw}`, { json: { folder: "/../etc" } }),
      422,
      "validation_failed",
    );

    const content = await fetchBytes(`${s.base}/api/v1/files/${raw}/content`, {
      authorization: `Bearer ${OWNER_TOKEN}`,
    });
    expect(content.status).toBe(200);
    expect(sha256(content.body)).toBe(sha256(bytes(5000, 1)));
    expect(content.headers.get("content-disposition")).toContain("Brief.txt");
  });

  it("rejects bad uploads without leaving anything behind", async () => {
    const before = storedObjects(s).length;
    expectError(
      await s.api("POST", "/api/v1/files", {
        body: "abc",
        headers: { "content-type": "application/octet-stream" },
      }),
      400,
      "bad_request",
    );
    expectError(
      await s.api("POST", "/api/v1/files", {
        body: "abc",
        headers: { "content-type": "application/octet-stream", "x-file-name": encodeURIComponent("a/b.txt") },
      }),
      422,
      "validation_failed",
    );
    await waitFor(() => storedObjects(s).length === before, {
      timeoutMs: 5000,
      description: "no new stored object",
    });
  });

  it("an upload cut off midway leaves no file and no stored object", async () => {
    const before = storedObjects(s).length;
    const filesBefore = ((await s.api("GET", "/api/v1/files?limit=200")).body as { items: unknown[] }).items
      .length;
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
    const filesAfter = ((await s.api("GET", "/api/v1/files?limit=200")).body as { items: unknown[] }).items
      .length;
    expect(filesAfter).toBe(filesBefore);
  });

  it("deduplicates identical content; a file shared by two bundles keeps its blob until the last use goes", async () => {
    const data = bytes(300_000, 3);
    const objectsBefore = storedObjects(s).length;
    const a = await upload(s, "shared.bin", data);
    const b = await upload(s, "shared-copy.bin", data);
    expect(storedObjects(s).length).toBe(objectsBefore + 1);
    await s.api("DELETE", `/api/v1/files/${b}`);

    const one = (await s.api("POST", "/api/v1/bundles", { json: { name: "one" } })).body as Ids;
    const two = (await s.api("POST", "/api/v1/bundles", { json: { name: "two" } })).body as Ids;
    for (const bundle of [one, two]) {
      expect(
        (await s.api("PUT", `/api/v1/bundles/${bundle.id}/objects`, { json: { objects: [{ fileId: a }] } }))
          .status,
      ).toBe(200);
    }
    expectError(await s.api("DELETE", `/api/v1/files/${a}`), 409, "conflict");
    await s.api("PUT", `/api/v1/bundles/${one.id}/objects`, { json: { objects: [] } });
    expect(storedObjects(s).length).toBe(objectsBefore + 1);
    const still = await fetchBytes(`${s.base}/api/v1/files/${a}/content`, {
      authorization: `Bearer ${OWNER_TOKEN}`,
    });
    expect(sha256(still.body)).toBe(sha256(data));

    await s.api("PUT", `/api/v1/bundles/${two.id}/objects`, { json: { objects: [] } });
    expect((await s.api("DELETE", `/api/v1/files/${a}`)).status).toBe(200);
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
    const grant = async () =>
      (
        (
          await browser.request("POST", `/api/v1/portal/bundles/${r.bundleId}/downloads`, {
            json: {},
            csrf: "recipient",
          })
        ).body as { url: string }
      ).url;

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
    expectError(await s.api("GET", "/api/v1/files/01J00000000000000000000000"), 404, "not_found");
    expect((await http(s.base, "GET", `/dl/${"a".repeat(43)}`)).status).toBe(404);
  });
});
