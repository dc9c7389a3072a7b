// Browser tests (Chromium): signing in to the portal with an emailed code. Run alone: pnpm vitest run e2e/test/portal
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODES, type Stack } from "../stack.js";
import {
  codeFor,
  eventually,
  expectAccessible,
  hasFocus,
  launchChromium,
  newContext,
  recordForeignRequests,
  recordPageErrors,
  release,
  screenshot,
  signIn,
  startPortalStack,
} from "./browser.js";

const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

describe.each(MODES)("portal sign-in (Chromium, %s + %s)", { timeout: 120_000 }, (dialect, bus) => {
  let s: Stack;
  let browser: Browser;
  beforeAll(async () => {
    [s, browser] = await Promise.all([startPortalStack("portal-signin", [dialect, bus]), launchChromium()]);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it("a person opens the server's address, signs in with the mailed code and sees their files with limits", async () => {
    const r = await release(s, "Family letters", [{ name: "letter.txt", data: bytes(2000, 1) }], {
      maxDownloads: 3,
    });
    const context = await newContext(browser);
    const page = await context.newPage();
    const foreign = recordForeignRequests(page, s.base);
    const errors = recordPageErrors(page);
    await page.goto(`${s.base}/`);
    await eventually(() => new URL(page.url()).pathname).toBe("/portal/sign-in");
    expect(new URL(page.url()).searchParams.get("next")).toBe("/portal/");
    await eventually(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Sign in");
    await expectAccessible(page, "sign-in: email");
    await screenshot(page, "sign-in-email");

    const before = s.mail.to(r.email).length;
    await page.getByLabel("Email address").fill(r.email);
    await page.getByRole("button", { name: "Email me a code" }).click();
    await eventually(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Enter your code");
    const codeField = page.getByLabel("6-digit code");
    expect(await codeField.getAttribute("autocomplete")).toBe("one-time-code");
    expect(await hasFocus(codeField)).toBe(true);
    await expectAccessible(page, "sign-in: code");
    await screenshot(page, "sign-in-code");

    // typed digit by digit: the sixth digit signs in, no button needed
    await codeField.pressSequentially(await codeFor(s, r.email, before));
    await eventually(() => new URL(page.url()).pathname).toBe("/portal/");
    await eventually(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("My files");
    await eventually(() => page.getByRole("link", { name: "Family letters" }).count()).toBe(1);
    expect(await page.getByText("3 of 3 downloads left.").count()).toBe(1);
    await expectAccessible(page, "file list");
    await screenshot(page, "bundles");
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a pasted code with spaces signs in; a link to one bundle comes back to it after signing in", async () => {
    const r = await release(s, "Photos", [{ name: "a.jpg", data: bytes(500, 2) }]);
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${s.base}/portal/bundles/${r.bundleId}`);
    await eventually(() => new URL(page.url()).pathname).toBe("/portal/sign-in");
    const before = s.mail.to(r.email).length;
    await page.getByLabel("Email address").fill(r.email);
    await page.keyboard.press("Enter");
    const code = await codeFor(s, r.email, before);
    await page.getByLabel("6-digit code").focus();
    await page.keyboard.insertText(`${code.slice(0, 3)} ${code.slice(3)}`);
    await eventually(() => new URL(page.url()).pathname).toBe(`/portal/bundles/${r.bundleId}`);
    await eventually(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Photos");
    await context.close();
  });

  it("wrong codes say how many tries are left, then that the code is spent and what to do; resend counts down", async () => {
    const r = await release(s, "Papers", [{ name: "p.pdf", data: bytes(300, 3) }]);
    const context = await newContext(browser);
    const page = await context.newPage();
    // the page's clock is the test's: the one-minute wait before a new code is skipped, not waited out
    await page.clock.install();
    await page.goto(`${s.base}/portal/sign-in`);
    const before = s.mail.to(r.email).length;
    await page.getByLabel("Email address").fill(r.email);
    await page.getByRole("button", { name: "Email me a code" }).click();
    const code = await codeFor(s, r.email, before);
    const wrong = code === "000000" ? "111111" : "000000";
    const field = page.getByLabel("6-digit code");
    const alert = page.locator("#code-error");

    const resend = page.getByRole("button", { name: "Send a new code" });
    expect(await resend.isDisabled()).toBe(true);
    const wait1 = await page.locator("#resend-wait").textContent();
    expect(wait1).toMatch(/You can ask for a new code in (1 minute|\d{1,2} seconds?)\./);
    await eventually(() => page.locator("#resend-wait").textContent(), 3000).not.toBe(wait1);

    await field.pressSequentially(wrong);
    await eventually(() => alert.textContent()).toContain("You have 4 more tries with this code.");
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    expect(await hasFocus(field)).toBe(true);
    await expectAccessible(page, "sign-in: wrong code");
    await screenshot(page, "sign-in-wrong-code");
    // one wrong code at a time: each answer is waited for before the next is typed (a loaded machine
    // answers slowly, and the page ignores typing while a check is in flight)
    for (const left of ["3 more tries", "2 more tries", "1 more try"]) {
      await field.pressSequentially(wrong);
      await eventually(() => alert.textContent()).toContain(`You have ${left} with this code.`);
    }
    await field.pressSequentially(wrong);
    await eventually(() => alert.textContent()).toContain(
      "That was 5 wrong tries, so this code no longer works.",
    );
    expect(await field.isDisabled()).toBe(true);
    await expectAccessible(page, "sign-in: code locked");
    await screenshot(page, "sign-in-locked");

    // the server really dropped the code: the right one no longer signs in (through the API, not the page)
    const res = await fetch(`${s.base}/api/v1/auth/recipient/verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: r.email, code }),
    });
    expect(res.status).toBe(401);

    // a minute later (on the page's and the server's clocks) a new code can be asked for, and it works
    s.advance(61_000);
    await page.clock.fastForward(61_000);
    await eventually(() => resend.isDisabled()).toBe(false);
    const before2 = s.mail.to(r.email).length;
    await resend.click();
    await eventually(() => page.getByRole("status").filter({ hasText: "We sent a new code" }).count()).toBe(
      1,
    );
    await field.pressSequentially(await codeFor(s, r.email, before2));
    await eventually(() => new URL(page.url()).pathname).toBe("/portal/");
    await context.close();
  });

  it("an unknown address gets the same answer (nothing tells who may receive files)", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${s.base}/portal/sign-in`);
    await page.getByLabel("Email address").fill("nobody@example.com");
    await page.getByRole("button", { name: "Email me a code" }).click();
    await eventually(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Enter your code");
    await context.close();
  });

  it("an address that is not one answers in words, next to the field", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${s.base}/portal/sign-in`);
    await page.getByLabel("Email address").fill("not an address");
    await page.getByRole("button", { name: "Email me a code" }).click();
    await eventually(() => page.locator("#signin-error").textContent()).toBe(
      "Enter an email address like name@example.com.",
    );
    expect(await hasFocus(page.getByLabel("Email address"))).toBe(true);
    await expectAccessible(page, "sign-in: invalid email");
    await context.close();
  });

  it("signs out", async () => {
    const r = await release(s, "Out", [{ name: "o.txt", data: bytes(10, 4) }]);
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${s.base}/portal/`);
    await signIn(page, s, r.email);
    await eventually(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("My files");
    await page.getByRole("button", { name: "Sign out" }).click();
    await eventually(() => new URL(page.url()).pathname).toBe("/portal/sign-in");
    await page.goto(`${s.base}/portal/`);
    await eventually(() => new URL(page.url()).pathname).toBe("/portal/sign-in");
    await context.close();
  });
});
