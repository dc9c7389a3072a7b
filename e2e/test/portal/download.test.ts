// Browser tests (Chromium): the bundle page, its limits and the download. Run alone: pnpm vitest run e2e/test/portal
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODES, type Stack } from "../stack.js";
import {
  eventually,
  expectAccessible,
  hasFocus,
  launchChromium,
  openSignedIn,
  type Release,
  release,
  screenshot,
  startPortalStack,
  zipEntryHashes,
} from "./browser.js";

const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff));
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe.each(MODES)("portal downloads (Chromium, %s + %s)", { timeout: 120_000 }, (dialect, bus) => {
  let s: Stack;
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lf-portal-dl-"));
    [s, browser] = await Promise.all([startPortalStack("portal-download", [dialect, bus]), launchChromium()]);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A signed-in page on the bundle's own page. */
  const openBundle = (r: Release, width = 1280) => openSignedIn(browser, s, r, { width });

  const h1 = (page: Page) => page.getByRole("heading", { level: 1 }).textContent();
  const alert = (page: Page) => page.locator("#download-alert");

  it("downloads the archive through the browser: the files inside are the bytes that were released", async () => {
    const files = [
      { name: "letter.txt", data: bytes(3000, 1) },
      { name: "photo.jpg", data: bytes(250_000, 2) },
    ];
    const r = await release(s, "Letters and photos", files, { maxDownloads: 2 });
    const page = await openBundle(r);
    await eventually(() => h1(page)).toBe("Letters and photos");
    expect(await page.getByText("2 of 2 downloads left.").count()).toBe(1);
    expect(await page.getByRole("cell", { name: "letter.txt" }).count()).toBe(1);
    expect(await page.getByRole("cell", { name: "photo.jpg" }).count()).toBe(1);
    await expectAccessible(page, "bundle: ready");
    await screenshot(page, "bundle-ready");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: /^Download/ }).click(),
    ]);
    const path = join(dir, "a.zip");
    await download.saveAs(path);
    expect(zipEntryHashes(path)).toEqual({
      "letter.txt": sha256(files[0]!.data),
      "photo.jpg": sha256(files[1]!.data),
    });
    await eventually(() => page.getByText("1 of 2 downloads left.").count()).toBe(1);
    await eventually(() =>
      page.getByRole("status").filter({ hasText: "Your download has started" }).count(),
    ).toBe(1);
    await expectAccessible(page, "bundle: download started");
    await screenshot(page, "bundle-downloaded");
    await page.context().close();
  });

  it("a download refused by the server (another tab used the last one) says why, and the page then agrees", async () => {
    const r = await release(s, "Once only", [{ name: "a.txt", data: bytes(100, 3) }], { maxDownloads: 1 });
    const page = await openBundle(r);
    const other = await page.context().newPage();
    await other.goto(`${s.base}/portal/bundles/${r.bundleId}`);
    await Promise.all([
      other.waitForEvent("download"),
      other.getByRole("button", { name: /^Download/ }).click(),
    ]);
    await eventually(() => other.getByText("No downloads left: all 1 have been used.").count()).toBe(1);
    expect(await other.getByRole("button", { name: /^Download/ }).isDisabled()).toBe(true);

    // the first tab still shows the download as possible; the server refuses it with its reason
    await page.getByRole("button", { name: /^Download/ }).click();
    await eventually(() => alert(page).textContent()).toContain(
      "You have used all the downloads you were given for these files.",
    );
    // focus moves once the page has read its limits again (the alert's text is written before that)
    await eventually(() => hasFocus(alert(page))).toBe(true);
    // and the page reads its limits again
    await eventually(() => page.getByText("No downloads left: all 1 have been used.").count()).toBe(1);
    await expectAccessible(page, "bundle: refused (limit)");
    await screenshot(page, "bundle-refused-limit");
    await page.context().close();
  });

  it("a cooldown counts down, live", async () => {
    const r = await release(s, "Cooling", [{ name: "c.txt", data: bytes(100, 4) }], {
      cooldownSeconds: 3600,
    });
    const page = await openBundle(r);
    await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: /^Download/ }).click(),
    ]);
    const timer = page.getByRole("timer").filter({ hasText: "Available again in" });
    await eventually(() => timer.textContent()).toMatch(
      /Available again in 59 minutes(,| and) \d+ seconds\./,
    );
    const first = await timer.textContent();
    await eventually(() => timer.textContent(), 3000).not.toBe(first);
    expect(await page.getByRole("button", { name: /^Download/ }).isDisabled()).toBe(true);
    await expectAccessible(page, "bundle: cooldown");
    await screenshot(page, "bundle-cooldown");
    await page.context().close();
  });

  it("a window not open yet says when it opens", async () => {
    const opens = new Date(Date.now() + 3 * 86_400_000);
    const r = await release(s, "Later", [{ name: "l.txt", data: bytes(100, 5) }], {
      notBefore: opens.toISOString(),
    });
    const page = await openBundle(r);
    const date = new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeStyle: "short" }).format(opens);
    await eventually(() => page.getByText(`Opens on ${date}.`).count()).toBe(1);
    expect(
      await page
        .getByRole("timer")
        .filter({ hasText: /^Opens in (2 days, 23 hours|3 days)/ })
        .count(),
    ).toBe(1);
    expect(await page.getByRole("button", { name: /^Download/ }).isDisabled()).toBe(true);
    await expectAccessible(page, "bundle: not open");
    await screenshot(page, "bundle-not-open");
    await page.context().close();
  });

  it("a passphrase: a wrong one is refused in words next to the field, the right one downloads, too many lock", async () => {
    const r = await release(s, "Sealed", [{ name: "s.txt", data: bytes(100, 6) }], {
      passphrase: "blue harbour 1987",
      maxDownloads: 5,
    });
    const page = await openBundle(r);
    await eventually(() => page.getByText("You need the passphrase you were given separately.").count()).toBe(
      1,
    );
    const field = page.getByLabel("Passphrase");
    await field.fill("wrong guess");
    await page.getByRole("button", { name: /^Download/ }).click();
    await eventually(() => alert(page).textContent()).toContain("That passphrase is not right.");
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    await eventually(() => hasFocus(field)).toBe(true);
    await expectAccessible(page, "bundle: wrong passphrase");
    await screenshot(page, "bundle-passphrase-wrong");

    await field.fill("blue harbour 1987");
    await Promise.all([page.waitForEvent("download"), field.press("Enter")]);
    await eventually(() => page.getByText("4 of 5 downloads left.").count()).toBe(1);

    // five wrong tries in a row lock the assignment for 15 minutes (the fifth is still answered "not right")
    for (let i = 0; i < 5; i++) {
      await field.fill(`wrong ${i}`);
      const [answer] = await Promise.all([
        page.waitForResponse((res) => res.url().endsWith("/downloads")),
        page.getByRole("button", { name: /^Download/ }).click(),
      ]);
      expect(answer.status()).toBe(403);
      await eventually(() => alert(page).textContent()).toContain("That passphrase is not right.");
    }
    await field.fill("blue harbour 1987");
    await page.getByRole("button", { name: /^Download/ }).click();
    await eventually(() => alert(page).textContent()).toMatch(
      /Too many wrong passphrases\. For your safety, try again in 1[45] minutes/,
    );
    await expectAccessible(page, "bundle: passphrase locked");
    await screenshot(page, "bundle-passphrase-locked");
    await page.context().close();
  });

  it("a bundle that is not yours reads as not available", async () => {
    const mine = await release(s, "Mine", [{ name: "m.txt", data: bytes(10, 7) }]);
    const theirs = await release(s, "Theirs", [{ name: "t.txt", data: bytes(10, 8) }]);
    const page = await openBundle(mine);
    await page.goto(`${s.base}/portal/bundles/${theirs.bundleId}`);
    await eventually(() => h1(page)).toBe("This file set is not (or no longer) available to you.");
    await expectAccessible(page, "bundle: not yours");
    await page.context().close();
  });
});
