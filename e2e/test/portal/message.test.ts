// Browser tests (Chromium): the sender's message on the bundle page (as text) and the acknowledgement asked for
// before the first download. Run alone: pnpm vitest run e2e/test/portal/message.test.ts
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODES, type Stack } from "../stack.js";
import {
  codeFor,
  eventually,
  expectAccessible,
  hasFocus,
  launchChromium,
  newContext,
  openSignedIn,
  type Release,
  release,
  screenshot,
  startPortalStack,
  zipEntryHashes,
} from "./browser.js";

const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 11 + seed) & 0xff));
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const h1 = (page: Page) => page.getByRole("heading", { level: 1 }).textContent();
const LONG_WORD = "Grundstücksverkehrsgenehmigungszuständigkeitsübertragungsverordnung".repeat(2);
const MESSAGE = `Dear Alex,\n\nthe letter is the <b>first</b> file.\n    Read it before the photos.\n${LONG_WORD}`;

describe.each(MODES)(
  "portal: the sender's message and acknowledgement (Chromium, %s + %s)",
  { timeout: 120_000 },
  (dialect, bus) => {
    let s: Stack;
    let browser: Browser;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "lf-portal-ack-"));
      [s, browser] = await Promise.all([startPortalStack("portal-ack", [dialect, bus]), launchChromium()]);
    }, 300_000);
    afterAll(async () => {
      await browser?.close();
      await s?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A release whose assignment carries the message (and asks for an acknowledgement when `ack`). */
    async function withMessage(name: string, files: { name: string; data: Buffer }[], ack: boolean) {
      const r = await release(s, name, files, { maxDownloads: 2 });
      await s.client().updateAssignment({
        params: { id: r.assignmentId },
        body: { message: MESSAGE, acknowledgementRequired: ack },
      });
      return r;
    }

    const openBundle = (r: Release, width = 1280) => openSignedIn(browser, s, r, { width });

    const messageBox = (page: Page) => page.locator(".message-text");
    const downloadButton = (page: Page) => page.getByRole("button", { name: /^Download/ });

    it("shows the sender's message as text before the download: markup literally, line breaks and spaces kept, long words wrapped", async () => {
      const r = await withMessage("A note", [{ name: "note.txt", data: bytes(500, 1) }], false);
      const page = await openBundle(r, 360);
      await eventually(() => h1(page)).toBe("A note");
      expect(await page.getByRole("heading", { level: 2, name: "A message for you" }).count()).toBe(1);
      // exactly the text as written: the <b> is characters on the screen, not bold
      // innerText is the text as rendered: the line breaks and leading spaces survive only with pre-wrap
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is checked
      expect(await messageBox(page).innerText()).toBe(MESSAGE);
      expect(await messageBox(page).locator("b").count()).toBe(0);
      expect(await page.getByText("<b>first</b>", { exact: false }).count()).toBe(1);
      // the message comes before the download button
      const [msgTop, buttonTop] = await Promise.all([
        messageBox(page).evaluate((el) => el.getBoundingClientRect().top),
        downloadButton(page).evaluate((el) => el.getBoundingClientRect().top),
      ]);
      expect(msgTop).toBeLessThan(buttonTop);
      // no acknowledgement asked for: no box to tick, the download works at once
      expect(await page.getByRole("checkbox").count()).toBe(0);
      expect(await downloadButton(page).isDisabled()).toBe(false);
      // the long word wraps: nothing wider than the phone's screen
      expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(360);
      await expectAccessible(page, "bundle: message");
      await screenshot(page, "bundle-message");
      await page.setViewportSize({ width: 1280, height: 900 });
      await screenshot(page, "bundle-message");

      await page.getByRole("link", { name: /My files/ }).click();
      await eventually(() => h1(page)).toBe("My files");
      expect(await page.getByText("The sender left you a message.").count()).toBe(1);
      await page.context().close();
    });

    it("asks for the acknowledgement first: the download is refused until the box is ticked, then works and the bytes are right", async () => {
      const files = [
        { name: "letter.txt", data: bytes(4000, 2) },
        { name: "photos/garden.jpg", data: bytes(90_000, 3) },
      ];
      const r = await withMessage("Read first", files, true);
      const page = await openBundle(r);
      await eventually(() => h1(page)).toBe("Read first");
      const box = page.getByRole("checkbox", { name: "I have read this message" });
      expect(await box.isChecked()).toBe(false);
      expect(await downloadButton(page).isDisabled()).toBe(true);
      expect(await page.getByText("Tick “I have read this message” above to download.").count()).toBe(1);
      await expectAccessible(page, "bundle: acknowledgement required");
      await screenshot(page, "bundle-ack-required");
      await page.setViewportSize({ width: 360, height: 780 });
      await expectAccessible(page, "bundle: acknowledgement required at 360 px");
      expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(360);
      await screenshot(page, "bundle-ack-required");
      await page.setViewportSize({ width: 1280, height: 900 });

      // the server refuses too (as it would for a page that skipped the box): no download was taken
      const refused = await page.evaluate<{ status: number; reason: string }>(`(async () => {
        const csrf = document.cookie.match(/lf_recipient_csrf=([^;]+)/)?.[1] ?? "";
        const res = await fetch("/api/v1/portal/bundles/${r.bundleId}/downloads", {
          method: "POST",
          headers: { "content-type": "application/json", "x-csrf-token": decodeURIComponent(csrf) },
          body: "{}",
        });
        return { status: res.status, reason: (await res.json()).error?.details?.reason };
      })()`);
      expect(refused).toEqual({ status: 403, reason: "acknowledgement_required" });

      // by keyboard: focus the box, tick it with the space bar
      await box.focus();
      await page.keyboard.press("Space");
      const done = page.getByText(/^You confirmed that you read this message on /);
      await eventually(() => done.count()).toBe(1);
      await eventually(() => hasFocus(done)).toBe(true);
      expect(await downloadButton(page).isDisabled()).toBe(false);
      expect(await page.getByText("2 of 2 downloads left.").count()).toBe(1);
      await expectAccessible(page, "bundle: acknowledged");
      await screenshot(page, "bundle-acknowledged");

      const [download] = await Promise.all([page.waitForEvent("download"), downloadButton(page).click()]);
      const path = join(dir, `${dialect}.zip`);
      await download.saveAs(path);
      expect(zipEntryHashes(path)).toEqual({
        "letter.txt": sha256(files[0]!.data),
        "photos/garden.jpg": sha256(files[1]!.data),
      });
      await eventually(() => page.getByText("1 of 2 downloads left.").count()).toBe(1);

      // after a reload the acknowledgement is still there (recorded on the server), with its time
      await page.reload();
      await eventually(() => h1(page)).toBe("Read first");
      expect(await done.count()).toBe(1);
      expect(await page.getByRole("checkbox").count()).toBe(0);
      await page.context().close();
    });

    it("a message changed by the sender while the page is open: the refused download says why and asks again", async () => {
      const r = await withMessage("Changed", [{ name: "c.txt", data: bytes(300, 4) }], true);
      const page = await openBundle(r);
      await eventually(() => h1(page)).toBe("Changed");
      await page.getByRole("checkbox", { name: "I have read this message" }).check();
      await eventually(() => page.getByText(/^You confirmed that you read this message on /).count()).toBe(1);
      await s.client().updateAssignment({
        params: { id: r.assignmentId },
        body: { message: "A new message: please read this one too." },
      });
      await downloadButton(page).click();
      const alert = page.locator("#download-alert");
      await eventually(() => alert.textContent()).toContain(
        "Please read the sender's message and confirm that you have read it before downloading.",
      );
      // focus moves to the alert once the page has read its limits again
      await eventually(() => hasFocus(alert)).toBe(true);
      // the page read the assignment again: the new message, and the box to tick
      await eventually(() => messageBox(page).textContent()).toBe("A new message: please read this one too.");
      expect(await page.getByRole("checkbox", { name: "I have read this message" }).isChecked()).toBe(false);
      await expectAccessible(page, "bundle: refused (acknowledgement)");
      await screenshot(page, "bundle-refused-ack");
      await page.context().close();
    });

    it("in Arabic (right to left): the message keeps its own direction, the box and its label read right to left", async () => {
      const r = await release(s, "رسالة", [{ name: "a.txt", data: bytes(200, 5) }]);
      await s.client().updateAssignment({
        params: { id: r.assignmentId },
        body: { message: "عزيزي أليكس،\nاقرأ الرسالة أولًا.", acknowledgementRequired: true },
      });
      const context = await newContext(browser, { locale: "ar" });
      const page = await context.newPage();
      await page.goto(`${s.base}/portal/bundles/${r.bundleId}`);
      const before = s.mail.to(r.email).length;
      await page.getByLabel("عنوان البريد الإلكتروني").fill(r.email);
      await page.getByRole("button", { name: "أرسل لي رمزًا" }).click();
      await page.getByLabel("الرمز المكوّن من 6 أرقام").pressSequentially(await codeFor(s, r.email, before));
      await eventually(() => h1(page)).toBe("رسالة");
      expect(await page.getByRole("heading", { level: 2, name: "رسالة لك" }).count()).toBe(1);
      expect(await page.getByRole("checkbox", { name: "لقد قرأت هذه الرسالة" }).count()).toBe(1);
      expect(await page.locator("html").getAttribute("dir")).toBe("rtl");
      // the sender's text takes the direction of its own words (it may be in another language than the page)
      expect(await messageBox(page).getAttribute("dir")).toBe("auto");
      await expectAccessible(page, "bundle: acknowledgement required (ar)");
      await screenshot(page, "bundle-ack-required");
      await page.setViewportSize({ width: 360, height: 780 });
      await screenshot(page, "bundle-ack-required");
      await context.close();
    });
  },
);
