import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DownloadRefusal } from "@latchflow/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataOf, recorded } from "../audit/helpers.js";
import { expectRefusal } from "../client-helpers.js";
import { MODES, type Stack, startStack } from "../stack.js";
import { recipientBrowser, releasedBundle, sha256, upload } from "./helpers.js";

const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + seed) & 0xff));

/** Each entry of a zip with the sha256 of its content (python's zipfile checks every CRC-32). */
function zipListing(zip: Buffer): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "lf-export-"));
  try {
    writeFileSync(join(dir, "a.zip"), zip);
    const out = execFileSync("python3", [
      "-c",
      "import zipfile,sys,hashlib,json; z=zipfile.ZipFile(sys.argv[1]); print(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))",
      join(dir, "a.zip"),
    ]).toString();
    return JSON.parse(out) as Record<string, string>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * GET /api/v1/bundles/{id}/archive: a user downloads a bundle's archive (bundles:read on it and files:read on
 * its files, ADR 014), resumable with Range, audited, and never counted against a recipient's limits.
 */
describe.each(MODES)("bundle export on %s + %s", (dialect, bus) => {
  let s: Stack;
  const files = [
    { name: "letter.txt", data: bytes(300_000, 1), path: "letters/letter.txt" },
    { name: "photo.bin", data: bytes(1_200_000, 2), path: "photo.bin" },
  ];
  let r: Awaited<ReturnType<typeof releasedBundle>>;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "export");
    // assigned to a recipient with one download: the owner's exports must leave it untouched
    r = await releasedBundle(s, "Family archive", files, { maxDownloads: 1 });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("the owner exports the archive: its files match the uploads, it is audited, no recipient download is used", async () => {
    const api = s.client();
    const bundle = await api.getBundle({ params: { id: r.bundleId } });
    const res = await api.raw.exportBundleArchive({ params: { id: r.bundleId } });
    expect(res.status).toBe(200);
    if (!res.ok) throw new Error("export refused");
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect(res.headers.get("etag")).toBe(bundle.archive.etag);
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("content-disposition")).toContain("Family archive.zip");
    const zip = Buffer.from(await res.response.arrayBuffer());
    expect(Number(res.headers.get("content-length"))).toBe(zip.length);
    expect(zip.length).toBe(bundle.archive.size);
    expect(zipListing(zip)).toEqual({
      "letters/letter.txt": sha256(files[0]!.data),
      "photo.bin": sha256(files[1]!.data),
    });

    const me = await api.getMe();
    const record = await recorded(s, "bundles.bundle.exported", (x) => x.subjectIds.bundleId === r.bundleId);
    expect(record.actor.id).toBe(me.id);
    expect(dataOf(record)).toEqual({
      bundleId: r.bundleId,
      versionId: record.subjectIds.versionId,
      version: bundle.archive.version,
      etag: bundle.archive.etag,
      start: 0,
      bytes: zip.length,
      size: zip.length,
    });

    const [assignment] = (await api.listAssignments({ params: { id: r.bundleId } })).items;
    expect(assignment).toMatchObject({ used: 0, remaining: 1 });
  });

  it("resumes with Range/If-Range to identical bytes; a stale If-Range gets the whole archive; 416 past the end", async () => {
    const api = s.client();
    const whole = await api.raw.exportBundleArchive({ params: { id: r.bundleId } });
    if (!whole.ok) throw new Error("export refused");
    const all = Buffer.from(await whole.response.arrayBuffer());
    const etag = whole.headers.get("etag")!;
    const cut = 654_321;
    const tail = await api.raw.exportBundleArchive({
      params: { id: r.bundleId },
      headers: { range: `bytes=${cut}-`, "if-range": etag },
    });
    expect(tail.status).toBe(206);
    if (!tail.ok) throw new Error("range refused");
    expect(tail.headers.get("content-range")).toBe(`bytes ${cut}-${all.length - 1}/${all.length}`);
    expect(Buffer.from(await tail.response.arrayBuffer()).equals(all.subarray(cut))).toBe(true);
    await recorded(
      s,
      "bundles.bundle.exported",
      (x) => x.subjectIds.bundleId === r.bundleId && dataOf(x).start === cut,
    );

    const stale = await api.raw.exportBundleArchive({
      params: { id: r.bundleId },
      headers: { range: `bytes=${cut}-`, "if-range": '"not-the-etag"' },
    });
    expect(stale.status).toBe(200);
    if (!stale.ok) throw new Error("export refused");
    expect(Buffer.from(await stale.response.arrayBuffer()).equals(all)).toBe(true);

    const past = await api.raw.exportBundleArchive({
      params: { id: r.bundleId },
      headers: { range: `bytes=${all.length + 10}-` },
    });
    expectRefusal(past, 416, "range_not_satisfiable");
    expect(past.headers.get("content-range")).toBe(`bytes */${all.length}`);
  });

  it("refuses a token without bundles:read, another bundle's reader, and a reader denied one of the files", async () => {
    const api = s.client();
    const filesOnly = await api.createToken({ body: { name: "files-only", scopes: ["files:read"] } });
    expectRefusal(
      await s.client(filesOnly.token).raw.exportBundleArchive({ params: { id: r.bundleId } }),
      403,
      "permission_denied",
    );

    // an executor who may read bundle `other` and its file, but nothing of the family archive
    const other = await api.createBundle({ body: { name: "other" } });
    const otherFile = await upload(s, "other.txt", bytes(100, 3));
    await api.setBundleObjects({ params: { id: other.id }, body: { objects: [{ fileId: otherFile }] } });
    const executor = await api.inviteUser({ body: { email: "reader@example.com", role: "executor" } });
    const grant = (action: "bundles:read" | "files:read", resourceType: "bundle" | "file", id: string) =>
      api.grantPermission({ params: { id: executor.id }, body: { action, resourceType, resourceId: id } });
    await grant("bundles:read", "bundle", other.id);
    const reader = (await s.signIn("reader@example.com")).client("user");
    expectRefusal(
      await reader.raw.exportBundleArchive({ params: { id: r.bundleId } }),
      403,
      "permission_denied",
    );
    // with read on `other` but not on its file, the export hands out a file the reader may not read: 403
    expectRefusal(
      await reader.raw.exportBundleArchive({ params: { id: other.id } }),
      403,
      "permission_denied",
    );
    await grant("files:read", "file", otherFile);
    const ok = await reader.raw.exportBundleArchive({ params: { id: other.id } });
    expect(ok.status).toBe(200);
    if (!ok.ok) throw new Error("export refused");
    expect(zipListing(Buffer.from(await ok.response.arrayBuffer()))).toEqual({
      "other.txt": sha256(bytes(100, 3)),
    });
  });

  it("answers 404 for an unknown bundle, 409 bundle_empty for an empty one, 422 for a malformed id", async () => {
    const api = s.client();
    expectRefusal(
      await api.raw.exportBundleArchive({ params: { id: "01J00000000000000000000000" } }),
      404,
      "not_found",
    );
    const empty = await api.createBundle({ body: { name: "empty" } });
    const refused = await api.raw.exportBundleArchive({ params: { id: empty.id } });
    expectRefusal(refused, 409, "conflict");
    expect(refused.body.error.details).toMatchObject({ reason: DownloadRefusal.BundleEmpty });
    // emptied after having had files: still nothing to export
    const once = await api.createBundle({ body: { name: "emptied" } });
    const f = await upload(s, "x.txt", bytes(10, 4));
    await api.setBundleObjects({ params: { id: once.id }, body: { objects: [{ fileId: f }] } });
    await api.setBundleObjects({ params: { id: once.id }, body: { objects: [] } });
    expectRefusal(await api.raw.exportBundleArchive({ params: { id: once.id } }), 409, "conflict");
    expectRefusal(
      await api.raw.exportBundleArchive({ params: { id: "not an id" } }),
      422,
      "validation_failed",
    );
  });

  it("a recipient session cannot export (401), and its one download is still there", async () => {
    const browser = await recipientBrowser(s, r.email);
    expectRefusal(
      await browser.client("recipient").raw.exportBundleArchive({ params: { id: r.bundleId } }),
      401,
      "unauthenticated",
    );
    const granted = await browser
      .client("recipient")
      .raw.consumePortalDownload({ params: { id: r.bundleId }, body: {} });
    expect(granted.status).toBe(201);
  });
});
