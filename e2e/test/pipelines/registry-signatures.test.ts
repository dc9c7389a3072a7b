import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { readSigningKey, type SigningKey, writeNewSigningKey } from "@latchflow/plugin-sdk/node";
import { type LocalRegistry, startLocalRegistry } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectRefusal } from "../client-helpers.js";
import { MODES, type Stack } from "../stack.js";
import { pipelineStack } from "./helpers.js";

/**
 * Signatures through a registry (ADR 041 + 042): `latchflow-plugin publish --key` signs what it publishes, the
 * signature travels through the registry inside the tarball, and a server with LATCHFLOW_PLUGIN_SIGNATURES=require
 * installing by name refuses the unsigned (422) and the untrusted (403) versions, then installs the signed one
 * once an admin trusts its key. (Upload-based cases, warn mode and upgrades: plugin-signatures.test.ts.)
 */
const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const SDK_BIN = fileURLToPath(new URL("../../../plugins/sdk/bin/latchflow-plugin.mjs", import.meta.url));
const ECHO = "latchflow-plugin-echo";

describe.each(MODES)("signed plugins installed from a registry on %s + %s", (dialect, bus) => {
  let registry: LocalRegistry;
  let s: Stack;
  let work: string;
  let acme: SigningKey;
  let keyFile: string;

  const install = (pkg: string) =>
    s.client().raw.installPlugin({ body: JSON.stringify({ package: pkg }), contentType: "application/json" });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "lf-registry-sign-"));
    registry = await startLocalRegistry({ uplink: false });
    keyFile = (await writeNewSigningKey(join(work, "acme.key"), "Acme")).privateKeyFile;
    acme = await readSigningKey(keyFile);
    const env = { ...process.env, NODE_OPTIONS: "", NPM_CONFIG_USERCONFIG: registry.npmrc };
    // 1.0.0 unsigned, 2.0.0 signed by Acme, both with the SDK's publish
    await run(
      process.execPath,
      [SDK_BIN, "publish", "--dir", fixture("echo-v1"), "--registry", registry.url],
      {
        env,
      },
    );
    const signed = await run(
      process.execPath,
      [SDK_BIN, "publish", "--dir", fixture("echo-v2"), "--registry", registry.url, "--key", keyFile],
      { env },
    );
    expect(signed.stdout).toContain(`${ECHO}@2.0.0`);
    s = await pipelineStack(dialect, bus, "regsign", {
      LATCHFLOW_PLUGIN_REGISTRY: registry.url,
      LATCHFLOW_PLUGIN_SIGNATURES: "require",
    });
  });
  afterAll(async () => {
    await s?.stop();
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("refuses the unsigned version (422) and the untrusted signed one (403), nothing installed", async () => {
    const unsigned = await install(`${ECHO}@1.0.0`);
    expectRefusal(unsigned, 422, "validation_failed");
    expect(unsigned.body.error.details).toMatchObject({ signature: "unsigned" });
    const untrusted = await install(`${ECHO}@2.0.0`);
    expectRefusal(untrusted, 403, "permission_denied");
    expect(untrusted.body.error.details).toMatchObject({ signature: "untrusted", keyId: acme.keyId });
    expect((await s.client().listPlugins()).items.some((p) => p.name === ECHO)).toBe(false);
  });

  it("installs the signed version by name once an admin trusts its key, and lists who signed it", async () => {
    await s.client().addPublisherKey({ body: { name: "Acme (vetted)", publicKey: acme.publicKey } });
    const res = await install(`${ECHO}@2.0.0`);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const listed = (await s.client().listPlugins()).items.find((p) => p.name === ECHO);
    expect(listed).toMatchObject({
      version: "2.0.0",
      source: "registry",
      signature: { state: "trusted", keyId: acme.keyId, signer: "Acme", publisher: "Acme (vetted)" },
    });
  });
});
