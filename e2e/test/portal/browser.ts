/**
 * Browser tests of the recipient portal: a real embedded Latchflow (SQLite, in-process bus, SMTP capture) serving
 * the built portal, driven by Debian's Chromium through playwright-core, as a person would use it.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { ensurePortalBuilt } from "@latchflow/portal";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { expect } from "vitest";
import { MODES, type Stack, startStack } from "../stack.js";

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

/** Where screenshots go (git-ignored; named in the README). */
export const SCREENSHOTS = resolve(import.meta.dirname, "../../../artifacts/screenshots/portal");

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium chromium-driver fonts-dejavu-core`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/**
 * A stack serving the portal, built first when its sources changed (one build even with parallel files). The
 * main flows run on both modes (`describe.each(MODES)`: SQLite + in-process bus, Postgres + NATS); page-only checks stay on SQLite.
 */
export async function startPortalStack(
  prefix: string,
  [dialect, bus]: (typeof MODES)[number] = MODES[0]!,
): Promise<Stack> {
  const build = await ensurePortalBuilt();
  // Postgres schema prefixes take lowercase letters, digits and _ only
  const name = `${prefix}_${dialect}`.replace(/[^a-z0-9_]/g, "_");
  return startStack(dialect, bus, name, { LATCHFLOW_PORTAL_DIR: build.dir });
}

export interface Release {
  bundleId: string;
  email: string;
  assignmentId: string;
}

/** What an admin does before a recipient can sign in: files into a bundle, assigned with limits (typed client). */
export async function release(
  s: Stack,
  name: string,
  files: { name: string; data: Buffer }[],
  limits: {
    maxDownloads?: number;
    cooldownSeconds?: number;
    notBefore?: string;
    notAfter?: string;
    passphrase?: string;
  } = {},
): Promise<Release> {
  const api = s.client();
  const bundle = await api.createBundle({ body: { name } });
  const objects = [];
  for (const f of files) {
    // the name is the last part of the path the file gets inside the archive
    const file = await api.uploadFile({
      body: f.data,
      headers: { "x-file-name": encodeURIComponent(f.name.split("/").pop()!), "x-folder": "/" },
    });
    objects.push({ fileId: file.id, path: f.name });
  }
  await api.setBundleObjects({ params: { id: bundle.id }, body: { objects } });
  const email = `${name.replace(/\W/g, "").toLowerCase()}-${randomBytes(3).toString("hex")}@example.com`;
  const recipient = await api.createRecipient({ body: { email, name: "Alex" } });
  const a = await api.createAssignment({
    params: { id: bundle.id },
    body: { recipientId: recipient.id, ...limits },
  });
  return { bundleId: bundle.id, email, assignmentId: a.id };
}

/** Polls until the assertion holds: pages load and re-render at their own pace (default 15 s, not vitest's 1 s). */
export const eventually = <T>(fn: () => T | Promise<T>, timeout = 15_000) => expect.poll(fn, { timeout });

/** The newest code mailed to `email` after `before` messages. */
export async function codeFor(s: Stack, email: string, before: number): Promise<string> {
  const mail = await s.mail.waitFor(email, () => s.mail.to(email).length > before);
  const m = /\b(\d{6})\b/.exec(mail.text);
  if (!m?.[1]) throw new Error(`no code in: ${mail.text}`);
  return m[1];
}

/** Signs in through the pages: the email typed, the code read from the captured mail and typed digit by digit. */
export async function signIn(page: Page, s: Stack, email: string): Promise<void> {
  const before = s.mail.to(email).length;
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Email me a code" }).click();
  const code = await codeFor(s, email, before);
  await page.getByLabel("6-digit code").pressSequentially(code);
}

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

/** A screenshot of the whole page at its current size, named after the state, locale and width. */
export async function screenshot(page: Page, state: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const lang = await page.locator("html").getAttribute("lang");
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: join(SCREENSHOTS, `${state}.${lang}.${width}.png`), fullPage: true });
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

/** sha256 of each file inside a ZIP (python3's zipfile: an independent reader). */
export function zipEntryHashes(path: string): Record<string, string> {
  return JSON.parse(
    execFileSync("python3", [
      "-c",
      "import zipfile,sys,hashlib,json; z=zipfile.ZipFile(sys.argv[1]); print(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))",
      path,
    ]).toString(),
  );
}
