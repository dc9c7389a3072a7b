// Browser tests (Chromium): the download history page. Run alone: pnpm vitest run e2e/test/portal/history.test.ts
import { mkdtempSync, rmSync, statSync } from "node:fs";
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
  recordPageErrors,
  release,
  screenshot,
  startPortalStack,
} from "./browser.js";

const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 29 + seed + (i >> 8)) & 0xff));

/** A size as the page writes it in English (format.ts: decimal units, one decimal below 100). */
const enSize = (n: number) => {
  const units = ["byte", "kilobyte", "megabyte"] as const;
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return new Intl.NumberFormat("en-US", {
    style: "unit",
    unit: units[i],
    unitDisplay: i === 0 ? "long" : "short",
    maximumFractionDigits: i === 0 || v >= 100 ? 0 : 1,
  }).format(v);
};

describe.each(MODES)("portal history (Chromium, %s + %s)", { timeout: 180_000 }, (dialect, bus) => {
  let s: Stack;
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lf-portal-history-"));
    [s, browser] = await Promise.all([startPortalStack("portal-history", [dialect, bus]), launchChromium()]);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function openBundle(r: Release, options: { width?: number; locale?: string } = {}): Promise<Page> {
    const page = await openSignedIn(browser, s, r, options);
    await eventually(() =>
      page.getByRole("button", { name: /^(Download|Herunterladen|تنزيل)/ }).count(),
    ).toBe(1);
    return page;
  }

  const items = (page: Page) => page.getByRole("main").getByRole("listitem");

  it("a download shows in History: completed, on this device, with its size; one never fetched is not completed", async () => {
    const r = await release(s, "Holiday photos", [{ name: "beach.jpg", data: bytes(240_000, 1) }], {
      maxDownloads: 3,
    });
    const page = await openBundle(r);
    const errors = recordPageErrors(page);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: /^Download/ }).click(),
    ]);
    const path = join(dir, "photos.zip");
    await download.saveAs(path);
    const size = statSync(path).size;

    // a second download asked for whose transfer never reaches the server (the test answers it with nothing)
    // The page shows "1 of 3" as soon as the grant is answered, before the browser asks for the transfer: the
    // route stays until the transfer was asked for and answered here, or the real one could reach the server.
    let answered!: () => void;
    const transferAnswered = new Promise<void>((resolve) => {
      answered = resolve;
    });
    await page.route("**/dl/**", async (route) => {
      await route.fulfill({ status: 204 });
      answered();
    });
    await eventually(() => page.getByText("2 of 3 downloads left.").count()).toBe(1);
    await page.getByRole("button", { name: /^Download/ }).click();
    await eventually(() => page.getByText("1 of 3 downloads left.").count()).toBe(1);
    await transferAnswered;
    await page.unroute("**/dl/**");

    await page.getByRole("navigation").getByRole("link", { name: "History" }).click();
    await eventually(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Download history");
    expect(await hasFocus(page.getByRole("heading", { level: 1 }))).toBe(true);
    expect(
      await page.getByRole("link", { name: "History" }).getAttribute("aria-current"),
      "the nav marks the page",
    ).toBe("page");
    // the completion lands when the response finished writing: read the page again until it shows
    await eventually(async () => {
      await page.reload();
      return (await items(page).last().textContent()) ?? "";
    }).toContain("Completed");
    await eventually(() => items(page).count()).toBe(2);
    const [newest, oldest] = [items(page).first(), items(page).last()];
    expect(await oldest.getByRole("link", { name: "Holiday photos" }).getAttribute("href")).toBe(
      `/portal/bundles/${r.bundleId}`,
    );
    expect(await oldest.textContent()).toContain("This device");
    expect(await oldest.textContent()).toContain(enSize(size));
    expect(await newest.textContent()).toContain(`Not completed (0 bytes of ${enSize(size)})`);
    expect(await newest.textContent()).toContain("This device");
    expect(await oldest.locator("time").getAttribute("datetime")).toMatch(/^\d{4}-\d\d-\d\dT/);
    await expectAccessible(page, "history: two downloads");
    await screenshot(page, "history");
    await page.setViewportSize({ width: 360, height: 780 });
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(360);
    await expectAccessible(page, "history: 360 px");
    await screenshot(page, "history");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("newest first, 20 at a time: Show more adds the rest and moves focus to the first new one", async () => {
    const r = await release(s, "Many", [{ name: "m.txt", data: bytes(500, 2) }]);
    const page = await openBundle(r);
    // 21 downloads asked for by this browser's own session (the same request the button sends)
    const csrf = (await page.context().cookies()).find((c) => c.name === "lf_recipient_csrf")!.value;
    for (let i = 0; i < 21; i++) {
      const res = await page.request.post(`${s.base}/api/v1/portal/bundles/${r.bundleId}/downloads`, {
        headers: { "x-csrf-token": decodeURIComponent(csrf), "content-type": "application/json" },
        data: {},
      });
      expect(res.status()).toBe(201);
    }
    await page.getByRole("link", { name: "History" }).click();
    await eventually(() => items(page).count()).toBe(20);
    const more = page.getByRole("button", { name: "Show more" });
    await more.click();
    await eventually(() => items(page).count()).toBe(21);
    expect(await hasFocus(items(page).nth(20))).toBe(true);
    expect(await more.count()).toBe(0);
    await expectAccessible(page, "history: all shown");
    await page.context().close();
  });

  it("no downloads yet, and a failed load with Try again", async () => {
    const r = await release(s, "Untouched", [{ name: "u.txt", data: bytes(50, 3) }]);
    const page = await openBundle(r, { width: 360 });
    await page.route("**/api/v1/portal/downloads*", (route) => route.abort("internetdisconnected"));
    await page.getByRole("link", { name: "History" }).click();
    const alert = page.getByRole("main").getByRole("alert");
    await eventually(() => alert.textContent()).toContain("We could not reach the server.");
    await expectAccessible(page, "history: error");
    await screenshot(page, "history-error");
    await page.unroute("**/api/v1/portal/downloads*");
    await page.getByRole("button", { name: "Try again" }).click();
    await eventually(() => page.getByText("You have not downloaded anything yet.").count()).toBe(1);
    await expectAccessible(page, "history: empty");
    await screenshot(page, "history-empty");
    // a bundle this recipient does not have: the page's own words, not the "could not reach the server" fallback
    await page.goto(`${s.base}/portal/bundles/01J0000000000000000000NONE`);
    await eventually(() =>
      page.getByText("This file set is not (or no longer) available to you.").count(),
    ).toBe(1);
    await page.context().close();
  });

  it.runIf(dialect === "sqlite")("in German and in Arabic (right to left)", async () => {
    for (const locale of ["de", "ar"]) {
      const r = await release(s, `Briefe ${locale}`, [{ name: "b.txt", data: bytes(5000, 4) }]);
      const page = await openBundle(r, { width: 360 });
      await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: /^Download/ }).click(),
      ]);
      // the switcher's choice is kept in this browser
      await page.locator("#locale-switcher").selectOption(locale);
      await page.goto(`${s.base}/portal/history`);
      await eventually(() => items(page).count()).toBe(1);
      const text = locale === "ar" ? "هذا الجهاز" : "Dieses Gerät";
      await eventually(() => items(page).first().textContent()).toContain(
        locale === "ar" ? "اكتمل" : "Abgeschlossen",
      );
      await eventually(() => items(page).first().textContent()).toContain(text);
      expect(await page.locator("html").getAttribute("dir")).toBe(locale === "ar" ? "rtl" : "ltr");
      expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(360);
      await expectAccessible(page, `history: ${locale}`);
      await screenshot(page, "history");
      await page.context().close();
    }
  });
});
