// Browser tests (Chromium) of the recipient's devices and device pairing (ADR 025): two browser contexts, one
// signed in with an emailed code, the other signed in by entering the code the first one shows.
// Run alone: pnpm vitest run e2e/test/portal/devices.test.ts
import jsqr from "jsqr";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODES, type Stack } from "../stack.js";
import {
  eventually,
  expectAccessible,
  hasFocus,
  launchChromium,
  newContext,
  type Release,
  release,
  screenshot,
  signIn,
  startPortalStack,
} from "./browser.js";

/** The text a QR code on the page holds: its SVG modules drawn into pixels and read by jsQR (an independent decoder). */
async function readQr(page: Page): Promise<string | undefined> {
  const svg = page.getByTestId("pairing-qr");
  const viewBox = (await svg.getAttribute("viewBox")) ?? "";
  const size = Number(viewBox.split(" ")[2]);
  const d = (await svg.locator("path").getAttribute("d")) ?? "";
  const scale = 4;
  const width = size * scale;
  const pixels = new Uint8ClampedArray(width * width * 4).fill(255);
  for (const [, x, y] of d.matchAll(/M(\d+) (\d+)h1v1h-1z/g)) {
    for (let dy = 0; dy < scale; dy++)
      for (let dx = 0; dx < scale; dx++) {
        const at = ((Number(y) * scale + dy) * width + Number(x) * scale + dx) * 4;
        pixels.fill(0, at, at + 3);
      }
  }
  // a CommonJS module: its default export is the module object, which also carries `default`
  return jsqr.default(pixels, width, width)?.data;
}

describe.each(MODES)(
  "portal devices and pairing (Chromium, %s + %s)",
  { timeout: 300_000 },
  (dialect, bus) => {
    let s: Stack;
    let browser: Browser;
    let r: Release;
    beforeAll(async () => {
      [s, browser] = await Promise.all([
        startPortalStack("portal-devices", [dialect, bus]),
        launchChromium(),
      ]);
      r = await release(s, "Family photos", [{ name: "photo.jpg", data: Buffer.alloc(2000, 7) }]);
    }, 300_000);
    afterAll(async () => {
      await browser?.close();
      await s?.stop();
    });

    const h1 = (page: Page) => page.getByRole("heading", { level: 1 }).textContent();
    const path = (page: Page) => new URL(page.url()).pathname;
    /** The devices listed (each has a heading; the facts inside are list items too). */
    const items = (page: Page) =>
      page.getByRole("listitem").filter({ has: page.getByRole("heading", { level: 2 }) });
    const device = (page: Page, name: string) =>
      page.getByRole("listitem").filter({
        has: page.getByRole("heading", { level: 2, name }),
      });

    /** A person signed in with an emailed code (past the resend throttle of earlier sign-ins). */
    async function signedIn(width = 1280, email = r.email): Promise<Page> {
      s.advance(61_000);
      const page = await (await newContext(browser, { width })).newPage();
      await page.goto(`${s.base}/portal/`);
      await eventually(() => path(page)).toBe("/portal/sign-in");
      await signIn(page, s, email);
      await eventually(() => path(page)).toBe("/portal/");
      return page;
    }

    /** Opens "Sign in another device" from the Devices page; answers the code it shows. */
    async function showCode(page: Page): Promise<string> {
      await page.getByRole("navigation").getByRole("link", { name: "Devices" }).click();
      await eventually(() => h1(page)).toBe("Your devices");
      await page.getByRole("link", { name: "Sign in another device" }).click();
      await eventually(() => h1(page)).toBe("Sign in another device");
      const code = page.getByTestId("pairing-code");
      await eventually(() => code.textContent()).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
      return (await code.textContent())!;
    }

    it("pairs a second browser: A shows a code, B enters it, A allows, B is signed in; A then forgets B", async () => {
      const a = await signedIn();
      await a.getByRole("navigation").getByRole("link", { name: "Devices" }).click();
      await eventually(() => h1(a)).toBe("Your devices");
      const mine = device(a, "Unnamed device This device");
      await eventually(() => mine.count()).toBe(1);
      expect(await mine.textContent()).toContain("Chrome on Linux");
      expect(await mine.textContent()).toContain("Signed in now");
      await expectAccessible(a, "devices: one");
      await screenshot(a, "devices-one");

      const code = await showCode(a);
      expect(await readQr(a)).toBe(`${s.base}/portal/pair?code=${code}`);
      await eventually(() => a.getByRole("timer").first().textContent()).toMatch(
        /The code works for 9 minutes/,
      );
      await expectAccessible(a, "pairing: code shown");
      await screenshot(a, "pair-code");

      // B: a phone, not signed in
      const b = await (await newContext(browser, { width: 360 })).newPage();
      await b.goto(`${s.base}/portal/`);
      await eventually(() => path(b)).toBe("/portal/sign-in");
      await b.getByRole("link", { name: "Sign in with another device" }).click();
      await eventually(() => h1(b)).toBe("Sign in with another device");
      await expectAccessible(b, "pair: enter code");
      await screenshot(b, "pair-enter");
      const input = b.getByLabel("Code from your other device");
      await input.pressSequentially("zzzz zzzz");
      await b.keyboard.press("Enter");
      await eventually(() => b.getByRole("alert").textContent()).toContain("That code is not right");
      expect(await hasFocus(input)).toBe(true);
      await expectAccessible(b, "pair: wrong code");
      await screenshot(b, "pair-wrong");
      await input.fill("");
      await input.pressSequentially(code.toLowerCase().replace("-", ""));
      await b.getByRole("button", { name: "Continue" }).click();
      await eventually(() => h1(b)).toBe("Waiting for your other device to confirm…");
      await expectAccessible(b, "pair: waiting");
      await screenshot(b, "pair-waiting");

      // A sees B and allows it
      const ask = a.getByRole("heading", { name: "A device wants to sign in" });
      await eventually(() => ask.count()).toBe(1);
      expect(await a.locator("section").textContent()).toContain("Chrome on Linux");
      await expectAccessible(a, "pairing: device waiting");
      await screenshot(a, "pair-ask");
      await a.getByRole("button", { name: "Allow", exact: true }).click();
      await eventually(() => a.getByRole("status").textContent()).toContain(
        "The other device is now signed in",
      );
      await expectAccessible(a, "pairing: allowed");
      await screenshot(a, "pair-allowed");

      // B lands on its files, signed in as the same person
      await eventually(() => path(b)).toBe("/portal/");
      await eventually(() => b.getByRole("link", { name: "Family photos" }).count()).toBe(1);
      await b.getByRole("navigation").getByRole("link", { name: "Devices" }).click();
      await eventually(() => items(b).count()).toBe(2);
      expect(await items(b).first().textContent()).toContain("This device");
      expect(await items(b).first().textContent()).toContain("Signed in with a code shown on");
      await expectAccessible(b, "devices: the paired phone");
      await screenshot(b, "devices-two");

      // A's Devices lists B as paired; A names itself by keyboard only
      await a.getByRole("link", { name: "Back to your devices" }).click();
      await eventually(() => items(a).count()).toBe(2);
      const paired = items(a).filter({ hasText: "Signed in with a code shown on" });
      await eventually(() => paired.count()).toBe(1);
      const rename = mine.getByRole("button", { name: "Change name" });
      await rename.focus();
      await a.keyboard.press("Enter");
      const field = a.getByLabel("Name for this device");
      expect(await hasFocus(field)).toBe(true);
      await a.keyboard.type("Old name");
      await a.keyboard.press("Escape");
      expect(await hasFocus(mine.getByRole("button", { name: "Change name" }))).toBe(true);
      await a.keyboard.press("Enter");
      await a.keyboard.type("Kitchen laptop");
      await expectAccessible(a, "devices: naming");
      await screenshot(a, "devices-naming");
      await a.keyboard.press("Enter");
      const named = device(a, "Kitchen laptop This device");
      await eventually(() => named.count()).toBe(1);
      expect(await hasFocus(named.getByRole("button", { name: "Change name" }))).toBe(true);
      await eventually(() => a.getByRole("status").first().textContent()).toBe("Name saved.");
      await eventually(() => paired.textContent()).toContain("Signed in with a code shown on Kitchen laptop");
      await expectAccessible(a, "devices: two, one paired");
      await screenshot(a, "devices-two");

      // A forgets B: B's next navigation lands on the sign-in page
      await paired.getByRole("button", { name: "Forget" }).click();
      await eventually(() => paired.textContent()).toContain("It will be signed out at once");
      expect(await hasFocus(paired.getByRole("button", { name: "Keep it" }))).toBe(true);
      await expectAccessible(a, "devices: confirm forget");
      await screenshot(a, "devices-forget");
      await paired.getByRole("button", { name: "Forget it" }).click();
      await eventually(() => a.getByRole("status").first().textContent()).toBe(
        "Unnamed device is forgotten and signed out.",
      );
      await eventually(() => items(a).count()).toBe(1);
      await b.getByRole("navigation").getByRole("link", { name: "My files" }).click();
      await eventually(() => path(b)).toBe("/portal/sign-in");

      // forgetting this device signs out here
      await named.getByRole("button", { name: "Forget" }).click();
      await eventually(() => named.textContent()).toContain("This is the device you are using now");
      await named.getByRole("button", { name: "Forget it" }).click();
      await eventually(() => path(a)).toBe("/portal/sign-in");
      await a.context().close();
      await b.context().close();
    });

    it("a refused device is told so; an unused code expires; in Arabic the pages mirror", async () => {
      const a = await signedIn();
      const code = await showCode(a);
      const b = await (await newContext(browser, { width: 360 })).newPage();
      await b.goto(`${s.base}/portal/pair?code=${code}`);
      await eventually(() => b.getByLabel("Code from your other device").inputValue()).toBe(code);
      await b.getByRole("button", { name: "Continue" }).click();
      await eventually(() => h1(b)).toBe("Waiting for your other device to confirm…");
      await eventually(() => a.getByRole("button", { name: "Don’t allow" }).count()).toBe(1);
      await a.getByRole("button", { name: "Don’t allow" }).click();
      await eventually(() => a.getByRole("status").textContent()).toContain("Not allowed.");
      await eventually(() => b.getByRole("alert").textContent()).toBe(
        "Your other device did not allow this sign-in.",
      );
      expect(await b.context().cookies()).not.toContainEqual(
        expect.objectContaining({ name: "lf_recipient" }),
      );
      await expectAccessible(b, "pair: denied");
      await screenshot(b, "pair-denied");

      await a.getByRole("button", { name: "Show a new code" }).click();
      await eventually(() => a.getByTestId("pairing-code").textContent()).not.toBe(code);
      s.advance(10 * 60_000 + 5_000);
      await eventually(() => a.getByRole("status").textContent()).toContain("This code has expired.");
      await expectAccessible(a, "pairing: expired");
      await screenshot(a, "pair-expired");

      await a.getByLabel("Language").selectOption("ar");
      await a.getByRole("navigation").getByRole("link", { name: "الأجهزة" }).click();
      await eventually(() => h1(a)).toBe("أجهزتك");
      expect(await a.locator("html").getAttribute("dir")).toBe("rtl");
      await eventually(() => a.getByText("هذا الجهاز").count()).toBe(1);
      await expectAccessible(a, "devices: ar");
      await screenshot(a, "devices-one");
      await a.getByLabel("اللغة").selectOption("en");
      await a.context().close();
      await b.context().close();
    });
  },
);
