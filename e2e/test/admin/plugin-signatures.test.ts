import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packPlugin, readSigningKey, writeNewSigningKey } from "@latchflow/plugin-sdk/node";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../browser.js";
import type { Stack } from "../stack.js";
import { OWNER_EMAIL } from "../stack.js";
import { checkPage, heading, people, signInByLink, startAdminStack } from "./browser.js";

/**
 * The plugins page says who signed each installed package (ADR 042): "Signed by <the name the admin trusted the key
 * under>", "Signed, key not trusted", "Unsigned"; the detail page names the signer and the key.
 */

const work = mkdtempSync(join(tmpdir(), "lf-admin-sign-"));
const fixture = (path: string) => fileURLToPath(new URL(path, import.meta.url));

describe("plugin signatures in the admin app (sqlite + in-process)", () => {
  let s: Stack;
  let browser: Browser;
  const browsers = people(
    () => browser,
    () => s.base,
  );
  beforeAll(async () => {
    s = await startAdminStack("admsign");
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browsers.closeAll();
    await browser?.close();
    await s?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("shows the signature state of every plugin in the list and on the plugin's page", {
    timeout: 180_000,
  }, async () => {
    const api = s.client();
    const made = await writeNewSigningKey(join(work, "acme.key"), "Acme Ltd");
    const signed = await packPlugin({
      dir: fixture("./fixtures/weather"),
      outFile: join(work, "weather.tgz"),
      key: await readSigningKey(made.privateKeyFile),
    });
    const unsigned = await packPlugin({
      dir: fixture("../pipelines/fixtures/echo-v1"),
      outFile: join(work, "echo.tgz"),
    });
    for (const file of [signed.file, unsigned.file]) {
      await api.installPlugin({ body: readFileSync(file), contentType: "application/gzip" });
    }

    const { page, foreign, errors } = await browsers.open();
    await page.goto(`${s.base}/admin/plugins`);
    await signInByLink(page, s, OWNER_EMAIL);
    await heading(page, "Plugins").waitFor();
    const table = page.getByRole("table", { name: "Plugins" });
    const cell = async (plugin: string) => {
      const row = table
        .getByRole("row")
        .filter({ has: page.getByRole("link", { name: plugin, exact: true }) });
      const headers = await table.getByRole("columnheader").allTextContents();
      const index = headers.findIndex((h) => h.includes("Signature"));
      expect(index).toBeGreaterThan(0);
      return (await row.getByRole("cell").nth(index).textContent())?.trim();
    };
    expect(await cell("latchflow-plugin-weather")).toBe("Signed, key not trusted");
    expect(await cell("latchflow-plugin-echo")).toBe("Unsigned");
    expect(await cell("latchflow-http")).toBe("Built in");

    // trust the key on the page, as an admin would: the name, then the .pub line pasted; a bad key first
    await expect
      .poll(() => page.getByRole("status").filter({ hasText: "No key is trusted yet" }).count())
      .toBe(1);
    await page.getByRole("button", { name: "Trust a key" }).click();
    const dialog = page.getByRole("dialog", { name: "Trust a publisher key" });
    await dialog.getByLabel("Publisher").fill("Acme Corp (vetted)");
    await dialog.getByLabel("Public key").fill("acme-key");
    await dialog.getByRole("button", { name: "Trust key" }).click();
    await dialog.getByText("Paste the line that starts with ed25519:").waitFor();
    await dialog.getByLabel("Public key").fill(readFileSync(made.publicKeyFile, "utf8").trim());
    await dialog.getByLabel("Public key").press("Enter");
    await dialog.waitFor({ state: "hidden" });
    const keys = page.getByRole("table", { name: "Trusted publisher keys" });
    await keys.getByRole("cell", { name: made.keyId, exact: true }).waitFor();
    expect(await keys.getByRole("cell", { name: made.fingerprint, exact: true }).count()).toBe(1);
    expect(await cell("latchflow-plugin-weather")).toBe("Signed by Acme Corp (vetted)");
    expect((await api.listPublisherKeys()).items.map((k) => [k.name, k.keyId])).toEqual([
      ["Acme Corp (vetted)", made.keyId],
    ]);
    await checkPage(page, "plugins-signatures");

    // the same key again is refused in words, then stop trusting it: the plugin stays, its label changes
    await page.getByRole("button", { name: "Trust a key" }).click();
    await dialog.getByLabel("Publisher").fill("Acme again");
    await dialog.getByLabel("Public key").fill(made.publicKey);
    await dialog.getByRole("button", { name: "Trust key" }).click();
    await dialog.getByText("This key is trusted already.").waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await keys.getByRole("button", { name: `Stop trusting Acme Corp (vetted) (${made.keyId})` }).click();
    const confirm = page.getByRole("dialog", { name: "Stop trusting Acme Corp (vetted)?" });
    await confirm.getByRole("button", { name: "Stop trusting" }).click();
    await confirm.waitFor({ state: "hidden" });
    await page.getByRole("status").filter({ hasText: "No key is trusted yet" }).waitFor();
    expect(await cell("latchflow-plugin-weather")).toBe("Signed, key not trusted");
    expect((await api.listPublisherKeys()).items).toEqual([]);
    await api.addPublisherKey({ body: { name: "Acme Corp (vetted)", publicKey: made.publicKey } });
    await page.reload();
    await heading(page, "Plugins").waitFor();

    await table.getByRole("link", { name: "latchflow-plugin-weather" }).click();
    await heading(page, "latchflow-plugin-weather 1.0.0").waitFor();
    const signature = page.locator("dt", { hasText: "Signature" }).locator("xpath=following-sibling::dd[1]");
    await signature.waitFor();
    expect((await signature.textContent())?.replace(/\s+/g, " ").trim()).toBe(
      `Signed by Acme Corp (vetted) · Acme Ltd, key ${made.keyId} (${made.fingerprint})`,
    );
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});
