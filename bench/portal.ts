// The recipient portal in Chromium against an embedded server (SQLite, fs blobs, SMTP capture), against a static
// "hello" page served by the same gateway (same headers, same static-file path) in the same run:
//   first page   bytes transferred (encoded bodies + headers) and load time of /portal/sign-in, cold cache
//                vs /portal/hello.html
//   signed in    time from the code's last digit typed to the bundle list painted (its heading and first
//                bundle visible) vs the hello page's load
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@latchflow/api/client";
import { startEmbedded } from "@latchflow/cli";
import { ensurePortalBuilt } from "@latchflow/portal";
import { createLogger } from "@latchflow/runtime";
import { createTestConfig } from "@latchflow/runtime/testing";
import { startSmtpCapture, uniqueName } from "@latchflow/testing";
import { type Browser, chromium, type Page } from "playwright-core";
import { percentile } from "./stats.js";

const TOKEN = "bench-portal-token-0123456789abcdef";
const RUNS = Number(process.env.BENCH_PORTAL_RUNS ?? 5);
const HELLO = "<!doctype html><html lang=en><meta charset=utf-8><title>hello</title><p>hello</p></html>\n";

/** Loads `url` in a fresh context (cold cache); returns the bytes transferred and the time to `load`. */
async function coldLoad(browser: Browser, url: string): Promise<{ bytes: number; ms: number }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const responses: Promise<number>[] = [];
  page.on("requestfinished", (req) =>
    responses.push(req.sizes().then((s) => s.responseBodySize + s.responseHeadersSize)),
  );
  const t = performance.now();
  await page.goto(url, { waitUntil: "load" });
  await page.waitForLoadState("networkidle");
  const ms = performance.now() - t;
  const bytes = (await Promise.all(responses)).reduce((a, b) => a + b, 0);
  await context.close();
  return { bytes, ms };
}

export async function benchPortal(): Promise<void> {
  const build = await ensurePortalBuilt();
  // the built portal plus the hello page, so both go through the gateway's static path
  const dir = mkdtempSync(join(tmpdir(), "lf-bench-portal-"));
  cpSync(build.dir, dir, { recursive: true });
  writeFileSync(join(dir, "hello.html"), HELLO);
  const mail = await startSmtpCapture();
  const tc = createTestConfig({
    dialect: "sqlite",
    name: uniqueName("bench_portal"),
    env: { LATCHFLOW_BOOTSTRAP_TOKEN: TOKEN, LATCHFLOW_SMTP_URL: mail.url, LATCHFLOW_PORTAL_DIR: dir },
  });
  const stack = await startEmbedded(tc.config, createLogger({ level: "silent" }), () => {});
  const base = stack.url!;
  const browser = await chromium.launch({
    executablePath: process.env.LATCHFLOW_CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
    ],
  });
  try {
    const api = createClient({ baseUrl: base, token: TOKEN });
    const bundle = await api.createBundle({ body: { name: "Bench bundle" } });
    const file = await api.uploadFile({ body: Buffer.alloc(10_000, 7), headers: { "x-file-name": "a.bin" } });
    await api.setBundleObjects({ params: { id: bundle.id }, body: { objects: [{ fileId: file.id }] } });

    const first: { bytes: number; ms: number }[] = [];
    const hello: { bytes: number; ms: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      hello.push(await coldLoad(browser, `${base}/portal/hello.html`));
      first.push(await coldLoad(browser, `${base}/portal/sign-in`));
    }

    const signedIn: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // a new recipient each run: one code per address and minute
      const email = `bench-${i}-${Date.now()}@example.com`;
      const recipient = await api.createRecipient({ body: { email } });
      await api.createAssignment({ params: { id: bundle.id }, body: { recipientId: recipient.id } });
      const context = await browser.newContext();
      const page: Page = await context.newPage();
      await page.goto(`${base}/portal/sign-in`);
      await page.getByLabel("Email address").fill(email);
      await page.getByRole("button", { name: "Email me a code" }).click();
      const text = (await mail.waitFor(email)).text;
      const code = /\b(\d{6})\b/.exec(text)![1]!;
      const field = page.getByLabel("6-digit code");
      await field.pressSequentially(code.slice(0, 5));
      const t = performance.now();
      await field.press(code[5]!);
      await page.getByRole("link", { name: "Bench bundle" }).waitFor({ state: "visible" });
      await page.getByRole("heading", { level: 1, name: "My files" }).waitFor({ state: "visible" });
      signedIn.push(performance.now() - t);
      await context.close();
    }

    const p50 = (xs: number[]) => percentile(xs, 50);
    const helloMs = p50(hello.map((h) => h.ms));
    const helloBytes = p50(hello.map((h) => h.bytes));
    console.log(`\n## Portal (Chromium, cold cache, ${RUNS} runs, p50)\n`);
    console.log("| what | value | hello page | ratio |");
    console.log("| --- | --- | --- | --- |");
    const firstBytes = p50(first.map((f) => f.bytes));
    const firstMs = p50(first.map((f) => f.ms));
    console.log(
      `| sign-in page transferred (bytes) | ${firstBytes} | ${helloBytes} | ${(firstBytes / helloBytes).toFixed(1)} |`,
    );
    console.log(
      `| sign-in page load (ms) | ${firstMs.toFixed(0)} | ${helloMs.toFixed(0)} | ${(firstMs / helloMs).toFixed(1)} |`,
    );
    const s = p50(signedIn);
    console.log(
      `| code submitted → bundle list painted (ms) | ${s.toFixed(0)} | ${helloMs.toFixed(0)} | ${(s / helloMs).toFixed(1)} |`,
    );
  } finally {
    await browser.close();
    await stack.stop();
    await mail.stop();
    tc.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
