/**
 * Browser tests of the recipient portal: a real embedded Latchflow (SQLite, in-process bus, SMTP capture) serving
 * the built portal, driven by Debian's Chromium through playwright-core, as a person would use it.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { ensurePortalBuilt } from "@latchflow/portal";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { eventually, newContext, screenshotsDir, screenshotTo } from "../browser.js";
import { MODES, type Stack, startStack } from "../stack.js";

// the shared browser helpers, under the names the portal's tests import them by
export {
  CHROMIUM,
  eventually,
  expectAccessible,
  hasFocus,
  launchChromium,
  newContext,
  recordForeignRequests,
  recordPageErrors,
} from "../browser.js";

/** Where screenshots go (git-ignored; named in the README). */
export const SCREENSHOTS = screenshotsDir("portal");

/**
 * A stack serving the portal, built first when its sources changed (one build even with parallel files). The
 * main flows run on both modes (`describe.each(MODES)`: SQLite + in-process bus, Postgres + NATS); page-only checks stay on SQLite.
 */
export async function startPortalStack(
  prefix: string,
  [dialect, bus]: (typeof MODES)[number] = MODES[0]!,
): Promise<Stack> {
  const build = await ensurePortalBuilt();
  // schema names take lowercase letters, digits and _ only
  const name = `${prefix}_${dialect}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  return startStack(dialect, bus, name, { LATCHFLOW_PORTAL_DIR: build.dir });
}

/**
 * A new browser context (or `options.context`) signed in through the pages on the bundle's own page: the
 * bundle page asked for first, the sign-in it leads to, then back on the bundle page.
 */
export async function openSignedIn(
  browser: Browser,
  s: Stack,
  r: Release,
  options: { width?: number; locale?: string; context?: BrowserContext } = {},
): Promise<Page> {
  const context = options.context ?? (await newContext(browser, options));
  const page = await context.newPage();
  await page.goto(`${s.base}/portal/bundles/${r.bundleId}`);
  await signIn(page, s, r.email);
  await eventually(() => new URL(page.url()).pathname).toBe(`/portal/bundles/${r.bundleId}`);
  return page;
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

/** A screenshot of the whole page at its current size, named after the state, locale and width. */
export const screenshot = (page: Page, state: string): Promise<void> =>
  screenshotTo(SCREENSHOTS, page, state);

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
