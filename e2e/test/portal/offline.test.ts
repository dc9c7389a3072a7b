// Browser tests (Chromium): installable portal, the service worker, the offline download queue.
// Run alone: pnpm vitest run e2e/test/portal/offline.test.ts
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODES, type Stack } from "../stack.js";
import {
  eventually,
  expectAccessible,
  launchChromium,
  newContext,
  openSignedIn,
  type Release,
  recordForeignRequests,
  recordPageErrors,
  release,
  screenshot,
  signIn,
  startPortalStack,
  zipEntryHashes,
} from "./browser.js";

/** Bytes that do not compress (the archive is stored, not deflated: its size is the files' size). */
const noise = (n: number, seed: number) => {
  const out = Buffer.alloc(n);
  let block = createHash("sha256").update(String(seed)).digest();
  for (let i = 0; i < n; i += 32) {
    block = createHash("sha256").update(block).digest();
    block.copy(out, i);
  }
  return out;
};
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe.each(MODES)("portal offline (Chromium, %s + %s)", { timeout: 180_000 }, (dialect, bus) => {
  let s: Stack;
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lf-portal-offline-"));
    [s, browser] = await Promise.all([startPortalStack("portal-offline", [dialect, bus]), launchChromium()]);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A signed-in page on the bundle's page, with the service worker in control (a first visit installs it). */
  async function openBundle(r: Release, options: { width?: number; worker?: boolean } = {}): Promise<Page> {
    const worker = options.worker ?? true;
    const context = worker
      ? await newContext(browser, { width: options.width ?? 1280 })
      : await browser.newContext({
          viewport: { width: options.width ?? 1280, height: 900 },
          acceptDownloads: true,
          reducedMotion: "reduce",
          serviceWorkers: "block",
        });
    const page = await openSignedIn(browser, s, r, { context });
    await eventually(() => page.getByRole("button", { name: /^Download/ }).count()).toBe(1);
    if (worker) {
      await eventually(() => page.evaluate<boolean>("navigator.serviceWorker.controller !== null")).toBe(
        true,
      );
    }
    return page;
  }

  const used = async (r: Release) =>
    (await s.client().listAssignments({ params: { id: r.bundleId } })).items.find(
      (a) => a.id === r.assignmentId,
    )?.used;

  /** Goes offline the way a phone does: requests fail and the page hears `offline`. */
  async function offline(page: Page) {
    await page.context().setOffline(true);
    await eventually(() => page.getByText("You are offline.", { exact: false }).count()).toBeGreaterThan(0);
  }

  /**
   * Stands in the page's network path for /dl: the first transfer stops after `bytes` (forwarded from the server
   * as that range, so the server counts exactly what went out, and ended short of its Content-Length, as a lost
   * connection does); a resume asked for meanwhile (the queue may try at once) fails as a dead line would.
   * Returns what lets the network through again.
   */
  async function cutTransfers(page: Page, bytes: number): Promise<() => void> {
    let cutting = true;
    await page.route("**/dl/**", async (route) => {
      if (!cutting) return route.continue();
      if (route.request().headers().range) return route.abort("internetdisconnected");
      const part = await route.fetch({
        headers: { ...route.request().headers(), range: `bytes=0-${bytes - 1}` },
      });
      const total = part.headers()["content-range"]?.split("/")[1];
      // not the partial answer the cut needs (a refusal): passed on as it came
      if (part.status() !== 206 || !total) return route.fulfill({ response: part });
      const headers: Record<string, string> = { ...part.headers(), "content-length": total };
      delete headers["content-range"];
      await route.fulfill({ status: 200, headers, body: await part.body() });
    });
    return () => {
      cutting = false;
    };
  }

  it("is installable: the manifest names the app, its start page and scope, and its icons are there", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    const foreign = recordForeignRequests(page, s.base);
    await page.goto(`${s.base}/portal/sign-in`);
    const href = await page.locator('link[rel="manifest"]').getAttribute("href");
    expect(href).toBe("/portal/manifest.webmanifest");
    const res = await page.request.get(`${s.base}${href}`);
    expect(res.headers()["content-type"]).toMatch(/^application\/manifest\+json/);
    const manifest = (await res.json()) as {
      name: string;
      short_name: string;
      start_url: string;
      scope: string;
      display: string;
      theme_color: string;
      icons: { src: string; sizes: string; type: string; purpose?: string }[];
    };
    expect(manifest).toMatchObject({
      name: "Latchflow",
      short_name: "Latchflow",
      start_url: "/portal/",
      scope: "/portal/",
      display: "standalone",
    });
    expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/);
    for (const [sizes, purpose] of [
      ["192x192", "any"],
      ["512x512", "any"],
      ["192x192", "maskable"],
      ["512x512", "maskable"],
    ]) {
      const icon = manifest.icons.find((i) => i.sizes === sizes && (i.purpose ?? "any") === purpose);
      expect(icon, `${sizes} ${purpose}`).toBeDefined();
      const png = await page.request.get(`${s.base}${icon!.src}`);
      expect(png.status()).toBe(200);
      expect(png.headers()["content-type"]).toBe("image/png");
      const body = await png.body();
      expect(body.subarray(1, 4).toString("latin1")).toBe("PNG");
      const [w, h] = [body.readUInt32BE(16), body.readUInt32BE(20)];
      expect(`${w}x${h}`).toBe(sizes);
    }
    // the service worker script is served as JavaScript, revalidated, under the portal's scope
    const sw = await page.request.get(`${s.base}/portal/service-worker.js`);
    expect(sw.headers()["content-type"]).toMatch(/^text\/javascript/);
    expect(sw.headers()["cache-control"]).toBe("no-cache");
    await eventually(() =>
      page.evaluate<string>("navigator.serviceWorker.getRegistration().then((r) => (r ? r.scope : ''))"),
    ).toBe(`${s.base}/portal/`);
    expect(foreign).toEqual([]);
    await context.close();
  });

  it("the portal opens offline after a first visit: the app shell and the last list of files", async () => {
    const r = await release(s, "Kept offline", [{ name: "k.txt", data: noise(1000, 1) }]);
    const page = await openBundle(r);
    const errors = recordPageErrors(page);
    await page.goto(`${s.base}/portal/`);
    await eventually(() => page.getByRole("link", { name: "Kept offline" }).count()).toBe(1);
    await offline(page);
    await page.reload();
    await eventually(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("My files");
    await eventually(() => page.getByRole("link", { name: "Kept offline" }).count()).toBe(1);
    expect(await page.getByRole("status").filter({ hasText: "You are offline." }).count()).toBe(1);
    await expectAccessible(page, "offline: bundle list");
    await screenshot(page, "offline-bundles");
    // a page never visited: the shell opens, and says plainly it cannot reach the server
    await page.goto(`${s.base}/portal/history`);
    await eventually(() => page.getByRole("alert").first().textContent()).toContain(
      "We could not reach the server.",
    );
    await expectAccessible(page, "offline: history not kept");
    await page.context().setOffline(false);
    expect(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch/.test(e))).toEqual([]);
    await page.context().close();
  });

  it("a download asked for while offline is queued, visible, and completes when the connection is back", async () => {
    const files = [
      { name: "letter.txt", data: noise(3000, 2) },
      { name: "photo.jpg", data: noise(400_000, 3) },
    ];
    const r = await release(s, "Queued letters", files, { maxDownloads: 2 });
    const page = await openBundle(r);
    const grants: string[] = [];
    page.on("request", (req) => {
      if (req.method() === "POST" && req.url().endsWith("/downloads")) grants.push(req.url());
    });
    await offline(page);
    await page.getByRole("button", { name: /^Download/ }).click();
    await eventually(() =>
      page.getByRole("status").filter({ hasText: "Will download when you're back online" }).count(),
    ).toBeGreaterThan(0);
    expect(grants).toEqual([]);
    await eventually(() => page.getByRole("link", { name: /^Downloads/ }).textContent()).toMatch(
      /^Downloads\s\(1\)$/,
    );
    await expectAccessible(page, "bundle: queued offline");
    await screenshot(page, "bundle-queued");

    await page.getByRole("link", { name: /^Downloads/ }).click();
    await eventually(() => page.getByRole("heading", { level: 1 }).textContent()).toBe(
      "Downloads on this device",
    );
    const entry = page.getByRole("main").getByRole("listitem");
    await eventually(() => entry.textContent()).toContain("Will download when you're back online.");
    expect(await entry.getByRole("link", { name: "Queued letters" }).count()).toBe(1);
    await expectAccessible(page, "downloads: waiting");
    await screenshot(page, "downloads-waiting");
    await page.setViewportSize({ width: 360, height: 780 });
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(360);
    await screenshot(page, "downloads-waiting");
    await page.setViewportSize({ width: 1280, height: 900 });

    const [download] = await Promise.all([page.waitForEvent("download"), page.context().setOffline(false)]);
    const path = join(dir, "queued.zip");
    await download.saveAs(path);
    expect(download.suggestedFilename()).toMatch(/^Queued letters.*\.zip$/);
    expect(zipEntryHashes(path)).toEqual({
      "letter.txt": sha256(files[0]!.data),
      "photo.jpg": sha256(files[1]!.data),
    });
    await eventually(() => entry.textContent()).toContain("Done.");
    expect(grants).toHaveLength(1);
    expect(await used(r)).toBe(1);
    await expectAccessible(page, "downloads: done");
    await screenshot(page, "downloads-done");
    // removing it forgets the entry and its bytes
    await entry.getByRole("button", { name: /^Remove/ }).click();
    await eventually(() => page.getByText("Nothing is waiting to download.").count()).toBe(1);
    await page.context().close();
  });

  it("an interrupted transfer resumes with Range from the bytes kept: the same bytes, no other download used", async () => {
    const files = [{ name: "video.bin", data: noise(3_000_000, 4) }];
    const r = await release(s, "Big video", files, { maxDownloads: 3 });
    // the test stands in the page's network path below (page.route); the service worker, which does not touch
    // downloads, is left out so that nothing else carries the page's requests
    const page = await openBundle(r, { worker: false });
    const dl: Request[] = [];
    const grants: string[] = [];
    page.on("request", (req) => {
      if (req.url().includes("/dl/")) dl.push(req);
      if (req.method() === "POST" && req.url().endsWith("/downloads")) grants.push(req.url());
    });
    await offline(page);
    await page.getByRole("button", { name: /^Download/ }).click();
    await eventually(() =>
      page.getByRole("status").filter({ hasText: "Will download when you're back online" }).count(),
    ).toBeGreaterThan(0);

    // back online, and the line drops after the first 1.2 MB
    const cut = 1_200_000;
    const reconnect = await cutTransfers(page, cut);
    await page.context().setOffline(false);
    const entry = page.locator("ul.queue > li");
    await eventually(() => entry.textContent()).toMatch(/Interrupted after 1\.2 MB of 3 MB\./);
    await page.context().setOffline(true);
    reconnect();
    await expectAccessible(page, "bundle: transfer interrupted");
    await screenshot(page, "bundle-interrupted");
    const progress = page.getByRole("progressbar", { name: "Progress of Big video" });
    expect(Number(await progress.getAttribute("value"))).toBe(39);

    // the connection is back: the queue goes on by itself from the bytes it kept
    const [download] = await Promise.all([page.waitForEvent("download"), page.context().setOffline(false)]);
    const path = join(dir, "resumed.zip");
    await download.saveAs(path);
    expect(zipEntryHashes(path)).toEqual({ "video.bin": sha256(files[0]!.data) });
    // the second request continued from the bytes kept, with the same grant URL and the archive's ETag
    expect(dl.length).toBeGreaterThanOrEqual(2);
    const last = dl[dl.length - 1]!;
    expect(last.url()).toBe(dl[0]!.url());
    expect(last.headers().range).toBe(`bytes=${cut}-`);
    expect(last.headers()["if-range"]).toBeTruthy();
    expect(grants).toHaveLength(1);
    expect(await used(r)).toBe(1);
    await eventually(() => entry.textContent()).toContain("Done.");
    // and History agrees: one download, completed
    await page.getByRole("link", { name: "History" }).click();
    await eventually(() => page.getByRole("main").getByRole("listitem").first().textContent()).toContain(
      "Completed",
    );
    await page.context().close();
  });

  it("a grant that expired while the transfer waited says so, and starting again uses another download", async () => {
    const files = [{ name: "scan.pdf", data: noise(600_000, 5) }];
    const r = await release(s, "Old scan", files, { maxDownloads: 3 });
    const page = await openBundle(r, { worker: false, width: 360 });
    await offline(page);
    await page.getByRole("button", { name: /^Download/ }).click();
    // the transfer stops after 100 kB (as above), and the page stays offline past the grant's hour
    const reconnect = await cutTransfers(page, 100_000);
    await page.context().setOffline(false);
    const entry = page.locator("ul.queue > li");
    await eventually(() => entry.textContent()).toContain("Interrupted after 100 kB");
    await page.context().setOffline(true);
    reconnect();
    s.advance(61 * 60_000);
    await page.context().setOffline(false);
    // an hour idle ends the session too: said plainly, with the way back
    await eventually(() => entry.textContent()).toContain(
      "You were signed out, so this download stopped. Sign in again to go on.",
    );
    await expectAccessible(page, "bundle: queued download signed out");
    await screenshot(page, "bundle-queue-signed-out");
    await entry.getByRole("link", { name: "Sign in again" }).click();
    await signIn(page, s, r.email);
    await eventually(() => new URL(page.url()).pathname).toBe(`/portal/bundles/${r.bundleId}`);
    // the grant expired meanwhile: nothing more can come from it
    await eventually(() => entry.textContent()).toContain(
      "This download took too long and its link has expired. Starting again uses another download.",
    );
    expect(await used(r)).toBe(1);
    await expectAccessible(page, "bundle: queued grant expired");
    await screenshot(page, "bundle-queue-expired");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      entry.getByRole("button", { name: "Start again (uses another download)" }).click(),
    ]);
    const path = join(dir, "again.zip");
    await download.saveAs(path);
    expect(zipEntryHashes(path)).toEqual({ "scan.pdf": sha256(files[0]!.data) });
    expect(await used(r)).toBe(2);
    await eventually(() => page.getByText("1 of 3 downloads left.").count()).toBe(1);
    await page.context().close();
  });

  it.runIf(dialect === "sqlite")(
    "the queue is the signed-in recipient's: without a session it is not shown, and someone else signing in never sees it",
    async () => {
      const mine = await release(s, "Private letters", [{ name: "p.txt", data: noise(2000, 6) }]);
      const theirs = await release(s, "Other files", [{ name: "o.txt", data: noise(2000, 7) }]);
      const page = await openBundle(mine);
      await offline(page);
      await page.getByRole("button", { name: /^Download/ }).click();
      await eventually(() => page.getByRole("link", { name: /^Downloads/ }).textContent()).toMatch(/\(1\)$/);
      // the session ends without signing out (it expired; the cookies are gone), still offline: nothing consumed
      await page.context().clearCookies();
      await page.context().setOffline(false);
      await page.goto(`${s.base}/portal/downloads`);
      await eventually(() => new URL(page.url()).pathname).toBe("/portal/sign-in");
      await signIn(page, s, theirs.email);
      await eventually(() => new URL(page.url()).pathname).toBe("/portal/downloads");
      await eventually(() => page.getByText("Nothing is waiting to download.").count()).toBe(1);
      // and it stays forgotten (not only hidden): a fresh page load finds nothing either
      await page.reload();
      await eventually(() => page.getByText("Nothing is waiting to download.").count()).toBe(1);
      expect(await page.getByText("Private letters").count()).toBe(0);
      expect(await used(mine)).toBe(0);
      await page.context().close();
    },
  );
});
