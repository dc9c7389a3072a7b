import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "../http.js";
import { MODES, type Stack, startStack } from "../stack.js";
import {
  fetchBytes,
  grantDownload,
  recipientBrowser,
  releasedBundle,
  requestDownload,
  sessionOf,
  sha256,
} from "./helpers.js";

const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

describe.each(MODES)("downloads on %s + %s", (dialect, bus) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "downloads");
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("200 concurrent requests against maxDownloads 1 give exactly one grant", async () => {
    const r = await releasedBundle(s, "once", [{ name: "a.txt", data: bytes(1000, 1) }], { maxDownloads: 1 });
    const browser = await recipientBrowser(s, r.email);
    const results = await Promise.all(
      Array.from({ length: 200 }, () => requestDownload(browser, r.bundleId)),
    );
    const granted = results.filter((x) => x.status === 201);
    expect(granted).toHaveLength(1);
    const refused = results.filter((x) => x.status !== 201);
    expect(refused).toHaveLength(199);
    for (const x of refused) {
      expect(expectError(x, 403, "permission_denied").details?.reason).toBe("download_limit_reached");
    }
    const summary = await browser.client("recipient").listPortalBundles();
    expect(summary.items[0]!.assignment).toMatchObject({ used: 1, remaining: 0 });
  });

  it("cooldown answers 429 with Retry-After; a closed window says when it opens", async () => {
    const r = await releasedBundle(s, "cool", [{ name: "a.txt", data: bytes(10, 2) }], {
      cooldownSeconds: 3600,
    });
    const browser = await recipientBrowser(s, r.email);
    await grantDownload(browser, r.bundleId);
    const second = await requestDownload(browser, r.bundleId);
    expectError(second, 429, "rate_limited");
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(3500);

    const opensAt = new Date(Date.now() + 86_400_000).toISOString();
    const later = await releasedBundle(s, "later", [{ name: "b.txt", data: bytes(10, 3) }], {
      notBefore: opensAt,
    });
    const b2 = await recipientBrowser(s, later.email);
    const early = await requestDownload(b2, later.bundleId);
    expect(expectError(early, 403, "permission_denied").details).toMatchObject({
      reason: "window_not_open",
      opensAt,
    });
  });

  it("needs the passphrase where the assignment has one", async () => {
    const r = await releasedBundle(s, "secret", [{ name: "a.txt", data: bytes(10, 4) }], {
      passphrase: "correct horse",
    });
    const browser = await recipientBrowser(s, r.email);
    const none = await requestDownload(browser, r.bundleId);
    expect(expectError(none, 403, "permission_denied").details?.reason).toBe("passphrase_required");
    const wrong = await requestDownload(browser, r.bundleId, "wrong");
    expect(expectError(wrong, 403, "permission_denied").details?.reason).toBe("passphrase_invalid");
    expect((await requestDownload(browser, r.bundleId, "correct horse")).status).toBe(201);
  });

  it("streams a ZIP that resumes with Range to identical bytes, consuming nothing more", async () => {
    const files = [
      { name: "letter.txt", data: bytes(200_000, 5), path: "letters/letter.txt" },
      { name: "photo.bin", data: bytes(1_500_000, 6), path: "../../etc/passwd" },
      { name: "dup.txt", data: bytes(7, 7), path: "letters/letter.txt" },
    ];
    const r = await releasedBundle(s, "archive", files, { maxDownloads: 1 });
    const browser = await recipientBrowser(s, r.email);
    const { url } = await grantDownload(browser, r.bundleId);
    const session = sessionOf(browser);

    const cut = 777_777;
    const head = await fetchBytes(url, { ...session, range: `bytes=0-${cut - 1}` });
    expect(head.status).toBe(206);
    expect(head.headers.get("content-type")).toBe("application/zip");
    expect(head.headers.get("accept-ranges")).toBe("bytes");
    expect(head.headers.get("content-disposition")).toContain("archive.zip");
    const total = Number(head.headers.get("content-range")!.split("/")[1]);
    const etag = head.headers.get("etag")!;
    expect((await fetchBytes(url, { ...session, range: `bytes=${total + 5}-` })).status).toBe(416);
    const tail = await fetchBytes(url, { ...session, range: `bytes=${cut}-`, "if-range": etag });
    expect(tail.status).toBe(206);
    expect(Number(tail.headers.get("content-length"))).toBe(tail.body.length);
    expect(tail.headers.get("content-range")).toBe(`bytes ${cut}-${total - 1}/${total}`);
    const whole = { body: Buffer.concat([head.body, tail.body]) };
    expect(whole.body.length).toBe(total);

    const dir = mkdtempSync(join(tmpdir(), "lf-zip-"));
    try {
      writeFileSync(join(dir, "a.zip"), whole.body);
      const listing = execFileSync("python3", [
        "-c",
        "import zipfile,sys,hashlib,json; z=zipfile.ZipFile(sys.argv[1]); print(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))",
        join(dir, "a.zip"),
      ]).toString();
      expect(JSON.parse(listing)).toEqual({
        "letters/letter.txt": sha256(files[0]!.data),
        "etc/passwd": sha256(files[1]!.data),
        "letters/letter (2).txt": sha256(files[2]!.data),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const portal = browser.client("recipient");
    const history = await portal.listPortalDownloads();
    expect(history.items).toHaveLength(1);
    expect(history.items[0]!.thisDevice).toBe(true);
    const after = await portal.getPortalBundle({ params: { id: r.bundleId } });
    expect(after.assignment.used).toBe(1);
  });

  it("keeps serving a granted version after the bundle changes, and flags a new device", async () => {
    const r = await releasedBundle(s, "versioned", [{ name: "v1.txt", data: bytes(5000, 8) }]);
    const browser = await recipientBrowser(s, r.email);
    const g1 = await grantDownload(browser, r.bundleId);
    expect(g1.newDevice).toBe(true);
    const url1 = g1.url;
    const v1 = await fetchBytes(url1, { ...sessionOf(browser), range: "bytes=0-99" });
    expect(v1.status).toBe(206);
    await s.client().setBundleObjects({ params: { id: r.bundleId }, body: { objects: [] } });
    const rest = await fetchBytes(url1, {
      ...sessionOf(browser),
      range: "bytes=100-",
      "if-range": v1.headers.get("etag")!,
    });
    expect(rest.status).toBe(206);
    expect(rest.headers.get("etag")).toBe(v1.headers.get("etag"));
    expect(rest.headers.get("content-range")!.split("/")[1]).toBe(
      v1.headers.get("content-range")!.split("/")[1],
    );
    const g2 = await grantDownload(browser, r.bundleId);
    expect(g2.newDevice).toBe(false);
    s.advance(61_000); // past the one-code-per-minute resend throttle
    const other = await recipientBrowser(s, r.email);
    const g3 = await grantDownload(other, r.bundleId);
    expect(g3.newDevice).toBe(true);
  });

  it("publish links download, count uses, expire and can be revoked", async () => {
    const r = await releasedBundle(s, "published", [{ name: "p.txt", data: bytes(3000, 9) }]);
    const api = s.client();
    const { url, link } = await api.createPublishLink({
      params: { id: r.bundleId },
      body: { expiresInSeconds: 3600, maxUses: 2 },
    });
    expect(link).toMatchObject({ maxUses: 2, uses: 0 });
    const first = await fetchBytes(url, { range: "bytes=0-99" });
    expect(first.status).toBe(206);
    const resume = await fetchBytes(url, { range: "bytes=100-" });
    expect(resume.status).toBe(206);
    expect((await fetchBytes(url)).status).toBe(200);
    expect((await fetchBytes(url)).status).toBe(403);
    const links = await api.listPublishLinks({ params: { id: r.bundleId } });
    expect(links.items[0]!.uses).toBe(2);
    const second = await api.createPublishLink({
      params: { id: r.bundleId },
      body: { expiresInSeconds: 3600 },
    });
    const revoked = await api.revokePublishLink({ params: { id: second.link.id } });
    expect(revoked.revokedAt).not.toBeNull();
    expect((await fetchBytes(second.url)).status).toBe(404);
    expect((await fetchBytes(`${s.base}/s/${"x".repeat(43)}`)).status).toBe(404);
  });
});
