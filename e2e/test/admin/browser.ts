/**
 * Browser tests of the admin app: a real embedded Latchflow (SMTP capture) serving the built admin app, driven by
 * Debian's Chromium through playwright-core (shared helpers in ../browser.ts).
 */
import { ensureAdminBuilt } from "@latchflow/admin";
import type { Page } from "playwright-core";
import { expectAccessible, screenshotsDir, screenshotTo } from "../browser.js";
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
