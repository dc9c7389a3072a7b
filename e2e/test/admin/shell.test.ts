// The admin app's shell beyond the pages: the help page the empty states link to, and the keyboard shortcuts
// (lib/shortcuts.ts) — the list on `?`, `g` + letter to the pages this user may open, `n` for the page's main
// "new" action, and nothing while typing in a field.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasFocus, launchChromium, newContext, recordForeignRequests, recordPageErrors } from "../browser.js";
import { MODES, OWNER_EMAIL, type Stack } from "../stack.js";
import { checkPage, signInByLink, startAdminStack } from "./browser.js";

describe("admin app shell: help and keyboard shortcuts", () => {
  let s: Stack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const open = async () => {
    const context = await newContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    return { page, foreign: recordForeignRequests(page, s.base), errors: recordPageErrors(page) };
  };
  const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name });
  /** Presses keys on the page itself (not in a field), as a person would after clicking on the page. */
  const keys = async (page: Page, ...pressed: string[]) => {
    await page.locator("main h1").first().click();
    for (const key of pressed) await page.keyboard.press(key);
  };

  beforeAll(async () => {
    s = await startAdminStack("shell", MODES[0]);
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.stop();
  });

  it("lists the shortcuts, goes to pages with g, creates with n, and ignores keys typed into fields", {
    timeout: 180_000,
  }, async () => {
    const { page, foreign, errors } = await open();
    await page.goto(`${s.base}/admin/bundles`);
    await signInByLink(page, s, OWNER_EMAIL);
    await heading(page, "Bundles").waitFor();
    await s.client().createBundle({ body: { name: "Shortcut bundle" } });
    await page.reload();
    await page
      .getByRole("table", { name: "Bundles" })
      .locator("strong", { hasText: "Shortcut bundle" })
      .waitFor();

    // ? opens the list; Escape closes it and focus goes back
    await keys(page, "Shift+Slash");
    const dialog = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await dialog.waitFor();
    await dialog.getByText("Go to Sessions").waitFor();
    await checkPage(page, "shortcuts-dialog");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });

    // the header's button opens the same list
    const button = page.getByRole("button", { name: "Keyboard shortcuts" });
    await button.click();
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(await hasFocus(button)).toBe(true);

    // n: the page's main "new" action
    await keys(page, "n");
    const create = page.getByRole("dialog", { name: "New bundle" });
    await create.waitFor();
    // typing into the dialog's field is typing, not shortcuts
    await create.getByRole("textbox").first().fill("");
    await page.keyboard.type("gs n?");
    expect(await create.getByRole("textbox").first().inputValue()).toBe("gs n?");
    expect(new URL(page.url()).pathname).toBe("/admin/bundles");
    await page.keyboard.press("Escape");
    await create.waitFor({ state: "hidden" });

    // g then s: Sessions
    await keys(page, "g", "s");
    await heading(page, "Sessions").waitFor();
    expect(new URL(page.url()).pathname).toBe("/admin/sessions");
    // g then b: back to Bundles
    await keys(page, "g", "b");
    await heading(page, "Bundles").waitFor();

    // the help page, from the header, with a section per topic the empty states link to
    await page.getByRole("link", { name: "Help" }).click();
    await heading(page, "Help").waitFor();
    for (const topic of [
      "Files",
      "Bundles",
      "Recipients",
      "Pipelines",
      "Audit trail",
      "Keyboard shortcuts",
    ]) {
      await page.getByRole("heading", { level: 2, name: topic }).waitFor();
    }
    await checkPage(page, "help");
    await page.goto(`${s.base}/admin/help#recipients`);
    await page.getByRole("heading", { level: 2, name: "Recipients" }).waitFor();
    expect(await page.locator("section#recipients").isVisible()).toBe(true);

    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("takes an executor only to the pages it may open", { timeout: 120_000 }, async () => {
    const owner = s.client();
    const email = "shortcut-executor@example.com";
    await owner.inviteUser({ body: { email, role: "executor" } });
    const { page, errors } = await open();
    await page.goto(`${s.base}/admin/sessions`);
    await signInByLink(page, s, email);
    await heading(page, "Sessions").waitFor();

    // the list names only what this executor may open
    await keys(page, "Shift+Slash");
    const dialog = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await dialog.getByText("Go to Sessions").waitFor();
    expect(await dialog.getByText("Go to Users").count()).toBe(0);
    expect(await dialog.getByText("Go to Bundles").count()).toBe(0);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });

    // g then m (Users) does nothing for it; n on a page without a "new" action does nothing either
    await keys(page, "g", "m");
    await keys(page, "n");
    expect(new URL(page.url()).pathname).toBe("/admin/sessions");
    expect(await page.getByRole("dialog").count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
