/**
 * Browser test helpers shared by the apps' tests (e2e/test/portal, e2e/test/admin): Debian's Chromium driven by
 * playwright-core, axe-core checks, screenshots, and what a page may not do (third-party requests, script errors).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { expect } from "vitest";

/** Debian's Chromium (apt: chromium chromium-driver fonts-dejavu-core); `.ci/run` installs it when missing. */
export const CHROMIUM = process.env.LATCHFLOW_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium chromium-driver fonts-dejavu-core`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** Where an app's screenshots go (git-ignored; named in the README): artifacts/screenshots/<app>/. */
export const screenshotsDir = (app: string) =>
  resolve(import.meta.dirname, "../../artifacts/screenshots", app);

/** Polls until the assertion holds: pages load and re-render at their own pace (default 15 s, not vitest's 1 s). */
export const eventually = <T>(fn: () => T | Promise<T>, timeout = 15_000) => expect.poll(fn, { timeout });

/** Every request the page makes goes to the server it came from: no third party at all. */
export function recordForeignRequests(page: Page, base: string): string[] {
  const foreign: string[] = [];
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(`${base}/`) && !url.startsWith("data:") && !url.startsWith("blob:"))
      foreign.push(url);
  });
  return foreign;
}

/** Script errors and CSP violations the page reported (Chromium's notes on 4xx answers are not errors). */
export function recordPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
  });
  return errors;
}

/** axe-core on the page as it is now: no serious or critical violation (WCAG 2.x A/AA rules). */
export async function expectAccessible(page: Page, state: string): Promise<void> {
  const result = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    `axe on ${state}`,
  ).toEqual([]);
}

/** Whether the element has the keyboard focus. */
export const hasFocus = (locator: Locator) => locator.evaluate((el) => el === el.ownerDocument.activeElement);

/** A screenshot of the whole page at its current size into `dir`, named after the state, locale and width. */
export async function screenshotTo(dir: string, page: Page, state: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const lang = await page.locator("html").getAttribute("lang");
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: join(dir, `${state}.${lang}.${width}.png`), fullPage: true });
}

/** A new browser context (its own cookies: a person on one device) in a locale, at a width. */
export async function newContext(
  browser: Browser,
  options: { locale?: string; width?: number } = {},
): Promise<BrowserContext> {
  const width = options.width ?? 1280;
  return browser.newContext({
    locale: options.locale ?? "en-US",
    viewport: { width, height: width < 600 ? 780 : 900 },
    acceptDownloads: true,
    reducedMotion: "reduce",
  });
}
