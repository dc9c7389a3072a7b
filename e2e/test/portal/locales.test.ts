// Browser tests (Chromium): languages (English, German, Arabic right-to-left), the keyboard-only main flow, and
// the screenshots at 360 px and 1280 px. Run alone: pnpm vitest run e2e/test/portal
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Stack } from "../stack.js";
import {
  codeFor,
  eventually,
  expectAccessible,
  hasFocus,
  launchChromium,
  newContext,
  release,
  screenshot,
  startPortalStack,
  zipEntryHashes,
} from "./browser.js";

const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 5 + seed) & 0xff));
const h1 = (page: Page) => page.getByRole("heading", { level: 1 }).textContent();

/** Runs in the page: whether the focused element draws a focus ring (this portal's focus style is an outline). */
const FOCUS_RING = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "body";
  const st = getComputedStyle(el);
  return st.outlineStyle === "none" || st.outlineWidth === "0px" ? "no focus ring on " + el.outerHTML.slice(0, 80) : "ok";
})()`;

/** What each language calls the things the tests look for. */
const WORDS = {
  "en-US": {
    lang: "en",
    dir: "ltr",
    signIn: "Sign in",
    code: "Enter your code",
    files: "My files",
    email: "Email address",
    send: "Email me a code",
    codeLabel: "6-digit code",
  },
  "de-DE": {
    lang: "de",
    dir: "ltr",
    signIn: "Anmelden",
    code: "Code eingeben",
    files: "Meine Dateien",
    email: "E-Mail-Adresse",
    send: "Code per E-Mail senden",
    codeLabel: "6-stelliger Code",
  },
  ar: {
    lang: "ar",
    dir: "rtl",
    signIn: "تسجيل الدخول",
    code: "أدخل الرمز",
    files: "ملفاتي",
    email: "عنوان البريد الإلكتروني",
    send: "أرسل لي رمزًا",
    codeLabel: "الرمز المكوّن من 6 أرقام",
  },
} as const;

describe("portal languages, keyboard and screens (Chromium)", { timeout: 180_000 }, () => {
  let s: Stack;
  let browser: Browser;
  beforeAll(async () => {
    [s, browser] = await Promise.all([startPortalStack("portal-locales"), launchChromium()]);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  /** Takes the same state's screenshot at 1280 px and 360 px (and checks it at 360 px too). */
  async function bothWidths(page: Page, state: string) {
    await screenshot(page, state);
    await page.setViewportSize({ width: 360, height: 780 });
    await expectAccessible(page, `${state} at 360 px`);
    // nothing wider than the screen: no sideways scrolling on a phone
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(360);
    await screenshot(page, state);
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  for (const [locale, w] of Object.entries(WORDS)) {
    it(`in ${locale} (from the browser's language): every page in that language and direction`, async () => {
      const opens = new Date(Date.now() + 10 * 86_400_000);
      const r = await release(
        s,
        `Archive ${w.lang}`,
        [
          { name: "brief.txt", data: bytes(1500, 1) },
          { name: "fotos/garten.jpg", data: bytes(120_000, 2) },
        ],
        { maxDownloads: 3, notAfter: opens.toISOString() },
      );
      const context = await newContext(browser, { locale });
      const page = await context.newPage();
      await page.goto(`${s.base}/portal/`);
      await eventually(() => h1(page)).toBe(w.signIn);
      expect(await page.locator("html").getAttribute("lang")).toBe(w.lang);
      expect(await page.locator("html").getAttribute("dir")).toBe(w.dir);
      await expectAccessible(page, `sign-in ${locale}`);
      await bothWidths(page, "sign-in-email");

      const before = s.mail.to(r.email).length;
      await page.getByLabel(w.email).fill(r.email);
      await page.getByRole("button", { name: w.send }).click();
      await eventually(() => h1(page)).toBe(w.code);
      await bothWidths(page, "sign-in-code");
      await page.getByLabel(w.codeLabel).pressSequentially(await codeFor(s, r.email, before));
      await eventually(() => h1(page)).toBe(w.files);
      await expectAccessible(page, `bundles ${locale}`);
      await bothWidths(page, "bundles");

      await page.getByRole("link", { name: `Archive ${w.lang}` }).click();
      await eventually(() => h1(page)).toBe(`Archive ${w.lang}`);
      await expectAccessible(page, `bundle ${locale}`);
      await bothWidths(page, "bundle");
      await context.close();
    });
  }

  it("the switcher changes the language in place, keeps the keyboard on it, and is remembered", async () => {
    const context = await newContext(browser, { locale: "en-US" });
    const page = await context.newPage();
    await page.goto(`${s.base}/portal/sign-in`);
    await eventually(() => h1(page)).toBe("Sign in");
    await page.getByLabel("Email address").fill("someone@example.com");
    await page.getByLabel("Language").selectOption("ar");
    await eventually(() => h1(page)).toBe("تسجيل الدخول");
    expect(await page.locator("html").getAttribute("dir")).toBe("rtl");
    expect(await hasFocus(page.locator("#locale-switcher"))).toBe(true);
    await page.reload();
    await eventually(() => h1(page)).toBe("تسجيل الدخول");
    await page.getByLabel("اللغة").selectOption("de");
    await eventually(() => h1(page)).toBe("Anmelden");
    expect(await page.locator("html").getAttribute("dir")).toBe("ltr");
    await context.close();
  });

  it("the main flow with the keyboard only: sign in, open the bundle, download; focus always visible", async () => {
    const data = bytes(40_000, 9);
    const r = await release(s, "Keyboard", [{ name: "k.bin", data }], { maxDownloads: 1 });
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${s.base}/portal/sign-in`);
    await eventually(() => h1(page)).toBe("Sign in");

    /** Presses Tab until `target` has the focus (at most 15 times), checking each stop shows where it is. */
    async function tabTo(target: ReturnType<Page["locator"]>) {
      for (let i = 0; i < 15; i++) {
        await page.keyboard.press("Tab");
        const outline = await page.evaluate<string>(FOCUS_RING);
        expect(outline).toBe("ok");
        if (await hasFocus(target)) return;
      }
      throw new Error("not reachable with Tab");
    }

    // the first Tab reaches the skip link
    await page.keyboard.press("Tab");
    expect(await hasFocus(page.getByRole("link", { name: "Skip to content" }))).toBe(true);
    await tabTo(page.getByLabel("Email address"));
    const before = s.mail.to(r.email).length;
    await page.keyboard.type(r.email);
    await page.keyboard.press("Enter");
    await eventually(() => hasFocus(page.getByLabel("6-digit code"))).toBe(true);
    await page.keyboard.type(await codeFor(s, r.email, before));
    await eventually(() => h1(page)).toBe("My files");
    await tabTo(page.getByRole("link", { name: "Keyboard" }));
    await page.keyboard.press("Enter");
    await eventually(() => h1(page)).toBe("Keyboard");
    // focus moved to the new page's heading
    expect(await hasFocus(page.getByRole("heading", { level: 1 }))).toBe(true);
    await tabTo(page.getByRole("button", { name: /^Download/ }));
    const [download] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
    const dir = mkdtempSync(join(tmpdir(), "lf-portal-kb-"));
    try {
      await download.saveAs(join(dir, "k.zip"));
      expect(zipEntryHashes(join(dir, "k.zip"))).toEqual({
        "k.bin": createHash("sha256").update(data).digest("hex"),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await context.close();
  });
});
