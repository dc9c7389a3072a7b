import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import type { Client } from "@latchflow/api";
import {
  packPlugin,
  readSigningKey,
  type SigningKey,
  tar,
  untar,
  writeNewSigningKey,
} from "@latchflow/plugin-sdk/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataOf, recorded } from "../audit/helpers.js";
import { expectRefusal } from "../client-helpers.js";
import { MODES, type Stack } from "../stack.js";
import { pipelineStack } from "./helpers.js";

/**
 * Signed plugin packages (issue 16 item 5, ADR 042): the server records who signed what, warns about or refuses
 * (LATCHFLOW_PLUGIN_SIGNATURES) unsigned and untrusted packages, always refuses a broken signature and an upgrade
 * signed by another key; only admins manage the trusted keys. Every case is audited.
 */

const ECHO = "latchflow-plugin-echo";
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const work = mkdtempSync(join(tmpdir(), "lf-plugin-sign-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const keys: Record<string, SigningKey> = {};
async function key(signer: string): Promise<SigningKey> {
  keys[signer] ??= await readSigningKey(
    (await writeNewSigningKey(join(work, `${signer}.key`), signer)).privateKeyFile,
  );
  return keys[signer];
}

let n = 0;
async function pack(version: "echo-v1" | "echo-v2" | "echo-v3", signer?: string): Promise<Buffer> {
  const out = await packPlugin({
    dir: fixture(version),
    outFile: join(work, `${version}-${n++}.tgz`),
    ...(signer ? { key: await key(signer) } : {}),
  });
  return readFileSync(out.file);
}

/** The signed tarball with its code changed after signing. */
function tampered(tarball: Buffer): Buffer {
  const files = untar(gunzipSync(tarball));
  files.set(
    "package/plugin.js",
    Buffer.concat([files.get("package/plugin.js") ?? Buffer.alloc(0), Buffer.from(";")]),
  );
  return gzipSync(tar([...files].map(([name, data]) => ({ name, data }))));
}

const upload = (client: Client, bytes: Buffer) =>
  client.raw.installPlugin({ body: bytes, contentType: "application/gzip" });

describe.each(MODES)("plugin signatures on %s + %s", (dialect, bus) => {
  let warn: Stack;
  let strictStack: Stack;
  let api: Client;
  let strict: Client;
  beforeAll(async () => {
    warn = await pipelineStack(dialect, bus, "plugsignw");
    strictStack = await pipelineStack(dialect, bus, "plugsignr", { LATCHFLOW_PLUGIN_SIGNATURES: "require" });
    api = warn.client();
    strict = strictStack.client();
  });
  afterAll(async () => {
    await warn?.stop();
    await strictStack?.stop();
  });

  it("only admins list, add and remove trusted keys", async () => {
    await api.inviteUser({ body: { email: "executor@example.com", role: "executor" } });
    const executor = (await warn.signIn("executor@example.com")).client();
    const { token } = await api.createToken({ body: { name: "plugins-less", scopes: ["pipelines:write"] } });
    const narrow = warn.client(token);
    const acme = await key("Acme");
    for (const c of [executor, narrow]) {
      expectRefusal(await c.raw.listPublisherKeys(), 403, "permission_denied");
      expectRefusal(
        await c.raw.addPublisherKey({ body: { name: "Acme", publicKey: acme.publicKey } }),
        403,
        "permission_denied",
      );
      expectRefusal(
        await c.raw.removePublisherKey({ params: { key: acme.keyId } }),
        403,
        "permission_denied",
      );
    }
    expect((await api.listPublisherKeys()).items).toEqual([]);
    const bad = await api.raw.addPublisherKey({ body: { name: "Bad", publicKey: "ed25519:AAAA" } });
    expectRefusal(bad, 422, "validation_failed");
    expectRefusal(await api.raw.removePublisherKey({ params: { key: acme.keyId } }), 404, "not_found");
  });

  it("warn: an unsigned package installs with a warning, said in the answer and the audit", async () => {
    const res = await upload(api, await pack("echo-v1"));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    if (!res.ok) return;
    expect(res.body.signature).toEqual({ state: "unsigned" });
    expect(res.body.warnings).toEqual([expect.stringContaining("The package is unsigned")]);
    const event = await recorded(warn, "plugins.plugin.installed", (r) => dataOf(r).version === "1.0.0");
    expect(dataOf(event)).toMatchObject({ signature: { state: "unsigned" }, warnings: res.body.warnings });
  });

  it("warn: an upgrade signed by an untrusted key installs with a warning and records its signer", async () => {
    const acme = await key("Acme");
    const res = await upload(api, await pack("echo-v2", "Acme"));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    if (!res.ok) return;
    const signature = {
      state: "untrusted",
      keyId: acme.keyId,
      fingerprint: acme.fingerprint,
      signer: "Acme",
    };
    expect(res.body.signature).toEqual(signature);
    expect(res.body.warnings).toEqual([expect.stringContaining(`key ${acme.keyId}`)]);
    expect(res.body.upgrade?.from).toBe("1.0.0");
    const event = await recorded(warn, "plugins.plugin.installed", (r) => dataOf(r).version === "2.0.0");
    expect(dataOf(event)).toMatchObject({ signature });
  });

  it("trusting the key makes the plugin 'signed by' the admin's name for it; audited", async () => {
    const acme = await key("Acme");
    const added = await api.addPublisherKey({
      body: { name: "Acme Corp (vetted)", publicKey: acme.publicKey },
    });
    expect(added).toMatchObject({
      keyId: acme.keyId,
      fingerprint: acme.fingerprint,
      name: "Acme Corp (vetted)",
    });
    expect(added.addedBy).not.toBe("");
    expect((await api.listPublisherKeys()).items).toEqual([added]);
    const again = await api.raw.addPublisherKey({ body: { name: "Again", publicKey: acme.publicKey } });
    expectRefusal(again, 409, "conflict");
    const plugin = (await api.listPlugins()).items.find((p) => p.name === ECHO);
    expect(plugin?.signature).toEqual({
      state: "trusted",
      keyId: acme.keyId,
      fingerprint: acme.fingerprint,
      signer: "Acme",
      publisher: "Acme Corp (vetted)",
    });
    expect((await api.listPlugins()).items.find((p) => p.name === "latchflow-http")?.signature).toBeNull();
    const event = await recorded(warn, "plugins.key.trusted");
    expect(dataOf(event)).toEqual({
      keyId: acme.keyId,
      fingerprint: acme.fingerprint,
      name: "Acme Corp (vetted)",
    });
  });

  it("an upgrade signed by another key, or unsigned, is refused (409) and audited; the same key upgrades", async () => {
    const acme = await key("Acme");
    const mallory = await key("Mallory");
    const other = await upload(api, await pack("echo-v3", "Mallory"));
    expectRefusal(other, 409, "conflict");
    expect(other.body.error.details).toMatchObject({
      signature: "signer_changed",
      installedKeyId: acme.keyId,
      keyId: mallory.keyId,
    });
    const refused = await recorded(warn, "plugins.plugin.refused", (r) => dataOf(r).version === "3.0.0");
    expect(dataOf(refused)).toMatchObject({
      name: ECHO,
      signature: { state: "untrusted", keyId: mallory.keyId },
      reason: expect.stringContaining("uninstall the plugin first"),
    });
    const unsigned = await upload(api, await pack("echo-v3"));
    expectRefusal(unsigned, 409, "conflict");
    expect((await api.getPlugin({ params: { name: ECHO } })).version).toBe("2.0.0");

    const same = await upload(api, await pack("echo-v3", "Acme"));
    expect(same.status, JSON.stringify(same.body)).toBe(201);
    if (!same.ok) return;
    expect(same.body).toMatchObject({
      version: "3.0.0",
      signature: { state: "trusted", publisher: "Acme Corp (vetted)" },
    });
    expect(same.body.warnings).toBeUndefined();
    const event = await recorded(warn, "plugins.plugin.installed", (r) => dataOf(r).version === "3.0.0");
    expect(dataOf(event)).toMatchObject({ signature: { state: "trusted", publisher: "Acme Corp (vetted)" } });
    expect(dataOf(event)).not.toHaveProperty("warnings");
  });

  it("a broken signature is refused even under warn (422, audited)", async () => {
    const res = await upload(api, tampered(await pack("echo-v3", "Acme")));
    expectRefusal(res, 422, "validation_failed");
    expect(res.body.error.details).toMatchObject({ signature: "tampered" });
    expect(res.body.error.message).toContain("package/plugin.js");
    const refused = await recorded(
      warn,
      "plugins.plugin.refused",
      (r) =>
        dataOf(r).signature !== undefined && (dataOf(r).signature as { state: string }).state === "broken",
    );
    expect(dataOf(refused)).toMatchObject({ name: ECHO, version: "3.0.0" });
  });

  it("removing the key leaves the plugin installed, shown as signed by an untrusted key; audited", async () => {
    const acme = await key("Acme");
    const removed = await api.removePublisherKey({ params: { key: acme.fingerprint } });
    expect(removed.keyId).toBe(acme.keyId);
    expect((await api.getPlugin({ params: { name: ECHO } })).signature).toEqual({
      state: "untrusted",
      keyId: acme.keyId,
      fingerprint: acme.fingerprint,
      signer: "Acme",
    });
    expect(dataOf(await recorded(warn, "plugins.key.removed"))).toMatchObject({ keyId: acme.keyId });
  });

  it("require: unsigned is refused (422), untrusted is refused (403), a trusted signer installs", async () => {
    const unsigned = await upload(strict, await pack("echo-v1"));
    expectRefusal(unsigned, 422, "validation_failed");
    expect(unsigned.body.error.details).toMatchObject({ signature: "unsigned" });
    expect(unsigned.body.error.message).toContain("LATCHFLOW_PLUGIN_SIGNATURES=require");
    const acme = await key("Acme");
    const untrusted = await upload(strict, await pack("echo-v1", "Acme"));
    expectRefusal(untrusted, 403, "permission_denied");
    expect(untrusted.body.error.details).toMatchObject({ signature: "untrusted", keyId: acme.keyId });
    const refused = await recorded(
      strictStack,
      "plugins.plugin.refused",
      (r) => (dataOf(r).signature as { state: string }).state === "untrusted",
    );
    expect(dataOf(refused)).toMatchObject({ name: ECHO, signature: { keyId: acme.keyId, signer: "Acme" } });
    expect((await strict.listPlugins()).items.some((p) => p.name === ECHO)).toBe(false);

    await strict.addPublisherKey({ body: { name: "Acme", publicKey: acme.publicKey } });
    const trusted = await upload(strict, await pack("echo-v1", "Acme"));
    expect(trusted.status, JSON.stringify(trusted.body)).toBe(201);
    if (!trusted.ok) return;
    expect(trusted.body.signature).toMatchObject({ state: "trusted", publisher: "Acme" });
    expect(trusted.body.warnings).toBeUndefined();
  });
});
