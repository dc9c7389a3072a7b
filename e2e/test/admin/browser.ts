/**
 * Browser tests of the admin app: a real embedded Latchflow (SMTP capture) serving the built admin app, driven by
 * Debian's Chromium through playwright-core (shared helpers in ../browser.ts).
 */
import { ensureAdminBuilt } from "@latchflow/admin";
import type { Browser, BrowserContext, Page } from "playwright-core";
import {
  expectAccessible,
  newContext,
  recordForeignRequests,
  recordPageErrors,
  screenshotsDir,
  screenshotTo,
} from "../browser.js";
import { adminLinkIn, MODES, type Stack, startStack } from "../stack.js";

export const SCREENSHOTS = screenshotsDir("admin");

/** A stack serving the admin app, built first when its sources changed (one build even with parallel files). */
export async function startAdminStack(
  prefix: string,
  [dialect, bus]: (typeof MODES)[number] = MODES[0]!,
  env: Record<string, string> = {},
): Promise<Stack> {
  const build = await ensureAdminBuilt();
  // schema names take lowercase letters, digits and _ only
  const name = `${prefix}_${dialect}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  return startStack(dialect, bus, name, { ...env, LATCHFLOW_ADMIN_DIR: build.dir });
}

/**
 * axe-core and a screenshot of the page as it is now, in the light and the dark scheme (the system's choice: the
 * app follows it until the person picks one). Leaves the page in the light scheme.
 */
export async function checkPage(page: Page, state: string): Promise<void> {
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await expectAccessible(page, `${state} (${scheme})`);
    await screenshotTo(SCREENSHOTS, page, `${state}.${scheme}`);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

/** Signs in on the sign-in page the page is on: the email typed, the link read from the captured mail and opened. */
export async function signInByLink(page: Page, s: Stack, email: string): Promise<string> {
  const before = s.mail.to(email).length;
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a sign-in link" }).click();
  await page.getByRole("heading", { name: "Check your email" }).waitFor();
  const mail = await s.mail.waitFor(email, () => s.mail.to(email).length > before);
  const link = adminLinkIn(mail.text);
  await page.goto(link);
  return link;
}

/**
 * Opens pages as different people, each in a browser context of its own (its own cookies) at 1280 px, recording the
 * requests to other origins and the script errors each page may not cause; `closeAll` ends them.
 */
export function people(browser: () => Browser, base: () => string) {
  const contexts: BrowserContext[] = [];
  return {
    async open() {
      const context = await newContext(browser());
      contexts.push(context);
      const page = await context.newPage();
      return { page, foreign: recordForeignRequests(page, base()), errors: recordPageErrors(page) };
    },
    async closeAll() {
      for (const c of contexts.splice(0)) await c.close().catch(() => {});
    },
  };
}

/** The page's main heading with this name. */
export const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name });
