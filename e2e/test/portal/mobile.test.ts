// Browser tests (Chromium): every page at 360 px wide. Run alone: pnpm vitest run e2e/test/portal/mobile.test.ts
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Stack } from "../stack.js";
import {
  codeFor,
  eventually,
  expectAccessible,
  launchChromium,
  newContext,
  release,
  screenshot,
  startPortalStack,
} from "./browser.js";

/**
 * Controls smaller than 44 × 44 CSS px (WCAG 2.5.5 target size, enhanced) among buttons, fields and the links
 * that stand alone; links inside a sentence are exempt (2.5.8), as are the skip link (off screen until focused).
 */
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(SMALL_TARGETS);
}

/** Runs in the page (a string: the tests are compiled without the DOM library). */
const SMALL_TARGETS = `(() => {
  const small = [];
  for (const el of document.querySelectorAll("button, input, select, a")) {
    if (el.classList.contains("skip") || el.closest(".visually-hidden")) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    // a link in running text (its paragraph has other words) is exempt
    const parent = el.parentElement;
    if (el.tagName === "A" && parent && parent.textContent.trim() !== el.textContent.trim()) continue;
    if (box.height < 44 || box.width < 44) {
      small.push(el.tagName.toLowerCase() + ' "' + el.textContent.trim() + '" ' + box.width + "x" + box.height);
    }
  }
  return small;
})()`;

const noSideScroll = (page: Page) =>
  page.evaluate<boolean>("document.documentElement.scrollWidth <= document.documentElement.clientWidth");

describe("portal at 360 px (Chromium)", { timeout: 180_000 }, () => {
  let s: Stack;
  let browser: Browser;
  beforeAll(async () => {
    [s, browser] = await Promise.all([startPortalStack("portal-mobile"), launchChromium()]);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it("sign-in, the list of files, a bundle, History and Downloads: no sideways scrolling, targets of 44 px", async () => {
    const long = "Letters, photographs and recordings of Grandmother";
    const r = await release(
      s,
      long,
      [{ name: `${"very-long-file-name-".repeat(5)}.pdf`, data: Buffer.alloc(900) }],
      {
        maxDownloads: 2,
        notAfter: new Date(Date.now() + 5 * 86_400_000).toISOString(),
      },
    );
    const context = await newContext(browser, { width: 360 });
    const page = await context.newPage();
    await page.goto(`${s.base}/portal/`);
    await eventually(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Sign in");
    const problems: string[] = [];
    const check = async (state: string) => {
      if (!(await noSideScroll(page))) problems.push(`${state}: sideways scrolling`);
      for (const small of await smallTargets(page)) problems.push(`${state}: ${small}`);
      await expectAccessible(page, `360: ${state}`);
      await screenshot(page, `mobile-${state}`);
    };
    await check("sign-in");
    const before = s.mail.to(r.email).length;
    await page.getByLabel("Email address").fill(r.email);
    await page.getByRole("button", { name: "Email me a code" }).click();
    await eventually(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Enter your code");
    await check("sign-in-code");
    await page.getByLabel("6-digit code").pressSequentially(await codeFor(s, r.email, before));
    await eventually(() => page.getByRole("link", { name: long }).count()).toBe(1);
    await check("bundles");
    await page.getByRole("link", { name: long }).click();
    await eventually(() => page.getByRole("heading", { level: 1 }).textContent()).toBe(long);
    await check("bundle");
    await page.getByRole("link", { name: "History" }).click();
    await eventually(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Download history");
    await check("history");
    await page.getByRole("link", { name: "Downloads" }).click();
    await eventually(() => page.getByRole("heading", { level: 1 }).textContent()).toBe(
      "Downloads on this device",
    );
    await check("downloads");
    expect(problems).toEqual([]);
    await context.close();
  });
});
