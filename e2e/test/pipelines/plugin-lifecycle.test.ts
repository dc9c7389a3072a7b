import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { Client } from "@latchflow/api";
import { CAPABILITY_NAME_MESSAGE, PLUGIN_API_VERSION } from "@latchflow/plugin-sdk";
import { packPlugin, tar } from "@latchflow/plugin-sdk/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataOf, recorded } from "../audit/helpers.js";
import { expectRefusal } from "../client-helpers.js";
import { MODES, type Stack } from "../stack.js";
import { finished, pipelineStack, putPipeline, startRun } from "./helpers.js";

/**
 * The plugin lifecycle tells the truth (issue 16): one capability naming rule at install and validation; an
 * upgrade keeps what was enabled unless it asks for more (and says which); disabling what enabled pipelines use
 * is refused with the pipelines named, or forced and said; a pipeline using an unavailable capability is 409
 * capability_unavailable. Callers without plugins:admin are refused.
 */

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const packDir = mkdtempSync(join(tmpdir(), "lf-plugin-life-"));

async function pack(name: string) {
  const out = await packPlugin({ dir: fixture(name), outFile: join(packDir, `${name}.tgz`) });
  return readFileSync(out.file);
}

/** A tarball whose manifest declares `key@1` (built by hand: the SDK refuses to build a bad name). */
function handmade(key: string) {
  const manifest = {
    name: "latchflow-plugin-x",
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    capabilities: [
      { kind: "action", key, major: 1, configSchema: { type: "object" }, outputsSchema: {}, docs: "" },
    ],
    permissions: [],
  };
  return gzipSync(
    tar([
      { name: "package/latchflow-plugin.json", data: Buffer.from(JSON.stringify(manifest)) },
      { name: "package/plugin.js", data: Buffer.from("globalThis.plugin = { capabilities: {} };") },
    ]),
  );
}

const ECHO = "latchflow-plugin-echo";
const echoPipeline = (name: string, uses: string, config: string, extra = "") => `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: ${name} }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - { id: say, uses: ${uses}, with: ${config} }
${extra}`;

describe.each(MODES)("plugin lifecycle on %s + %s", (dialect, bus) => {
  let s: Stack;
  let api: Client;
  let executor: Client;
  let narrow: Client;
  const tarballs: Record<string, Buffer> = {};

  beforeAll(async () => {
    for (const v of ["echo-v1", "echo-v2", "echo-v3"]) tarballs[v] = await pack(v);
    s = await pipelineStack(dialect, bus, "pluglife");
    api = s.client();
    await api.inviteUser({ body: { email: "executor@example.com", role: "executor" } });
    executor = (await s.signIn("executor@example.com")).client();
    const { token } = await api.createToken({
      body: { name: "pipelines-only", scopes: ["pipelines:write"] },
    });
    narrow = s.client(token);
  });
  afterAll(async () => {
    await s?.stop();
    rmSync(packDir, { recursive: true, force: true });
  });

  const upload = (client: Client, bytes: Buffer) =>
    client.raw.installPlugin({ body: bytes, contentType: "application/gzip" });
  const put = (client: Client, name: string, yaml: string) =>
    client.raw.putPipeline({ params: { name }, body: yaml, contentType: "application/yaml" });
  const setCapability = (client: Client, uses: string, on: boolean, force?: boolean) =>
    client.raw.updatePlugin({
      params: { name: ECHO },
      body: { capabilities: { [uses]: on }, ...(force === undefined ? {} : { force }) },
    });

  it("install and validation apply the one capability naming rule, with its message", async () => {
    for (const key of ["x/upper", "Upper", "u".repeat(65)]) {
      const res = await upload(api, handmade(key));
      expectRefusal(res, 422, "validation_failed");
      expect(res.body.error.message).toContain(CAPABILITY_NAME_MESSAGE);
    }
    const checked = await api.validatePipeline({
      body: echoPipeline("bad-uses", "latchflow-plugin-x/x/upper@1", "{}"),
      contentType: "application/yaml",
    });
    expect(checked.ok).toBe(false);
    expect(checked.diagnostics[0]).toMatchObject({ code: "schema", path: "/spec/steps/0/uses" });
    expect(checked.diagnostics[0]?.message).toContain(CAPABILITY_NAME_MESSAGE);
  });

  it("callers without plugins:admin cannot install", async () => {
    expectRefusal(await upload(executor, tarballs["echo-v1"]!), 403, "permission_denied");
    expectRefusal(await upload(narrow, tarballs["echo-v1"]!), 403, "permission_denied");
  });

  it("saving a pipeline that uses a disabled or uninstalled capability answers 409 capability_unavailable", async () => {
    const installed = await upload(api, tarballs["echo-v1"]!);
    expect(installed.status, JSON.stringify(installed.body)).toBe(201);
    expect(installed.body).not.toHaveProperty("upgrade");

    const disabled = await put(api, "echoes", echoPipeline("echoes", `${ECHO}/echo@1`, "{ text: hi }"));
    expectRefusal(disabled, 409, "capability_unavailable");
    expect(disabled.body.error.details).toMatchObject({
      capabilities: [{ uses: `${ECHO}/echo@1`, state: "disabled" }],
      diagnostics: [expect.objectContaining({ code: "capability_disabled", line: 8 })],
    });
    const missing = await put(narrow, "nope", echoPipeline("nope", "latchflow-plugin-nope/x@1", "{}"));
    expectRefusal(missing, 409, "capability_unavailable");
    expect(missing.body.error.details).toMatchObject({
      capabilities: [{ uses: "latchflow-plugin-nope/x@1", state: "not_installed" }],
    });
    // other mistakes too: the document is invalid (422, every diagnostic)
    const both = await put(api, "echoes", echoPipeline("echoes", `${ECHO}/echo@1`, "{ text: 5 }"));
    expectRefusal(both, 422, "validation_failed");
    const validated = await api.validatePipeline({
      body: echoPipeline("echoes", `${ECHO}/echo@1`, "{ text: hi }"),
      contentType: "application/yaml",
    });
    expect(validated).toMatchObject({ ok: false, diagnostics: [{ code: "capability_disabled" }] });
  });

  it("disabling a capability an enabled pipeline uses is refused naming the pipelines; force disables and says what fails", async () => {
    expect((await setCapability(api, `${ECHO}/echo@1`, true)).status).toBe(200);
    await putPipeline(s, "echoes", echoPipeline("echoes", `${ECHO}/echo@1`, "{ text: hi }"));
    await putPipeline(
      s,
      "quiet",
      echoPipeline("quiet", `${ECHO}/echo@1`, "{ text: hi }", "  enabled: false\n"),
    );

    expectRefusal(await setCapability(executor, `${ECHO}/echo@1`, false, true), 403, "permission_denied");
    expectRefusal(await setCapability(narrow, `${ECHO}/echo@1`, false, true), 403, "permission_denied");
    const refused = await setCapability(api, `${ECHO}/echo@1`, false);
    expectRefusal(refused, 409, "conflict");
    expect(refused.body.error.details).toEqual({
      pipelines: ["echoes"], // "quiet" is disabled: it runs nothing
      capabilities: [{ uses: `${ECHO}/echo@1`, pipelines: ["echoes"] }],
    });
    expect(refused.body.error.message).toContain("echoes");
    expect((await api.getPlugin({ params: { name: ECHO } })).capabilities[0]?.enabled).toBe(true);

    const forced = await setCapability(api, `${ECHO}/echo@1`, false, true);
    expect(forced.status, JSON.stringify(forced.body)).toBe(200);
    expect(forced.body).toMatchObject({
      capabilities: [{ uses: `${ECHO}/echo@1`, enabled: false }],
      disabledInUse: [{ uses: `${ECHO}/echo@1`, pipelines: ["echoes"] }],
    });
    const audited = await recorded(s, "plugins.plugin.updated", (r) =>
      JSON.stringify(r.data).includes("disabledInUse"),
    );
    expect(dataOf(audited).disabledInUse).toEqual([{ uses: `${ECHO}/echo@1`, pipelines: ["echoes"] }]);
    const failed = await finished(s, "echoes", (await startRun(s, "echoes")).id);
    expect(failed.steps?.[0]?.errorCode).toBe("capability_unavailable");

    // a pipeline whose capability is disabled cannot be enabled either
    const enable = await api.raw.setPipelineEnabled({ params: { name: "quiet" }, body: { enabled: true } });
    expectRefusal(enable, 409, "capability_unavailable");
    expect(enable.body.error.details).toMatchObject({
      capabilities: [{ uses: `${ECHO}/echo@1`, state: "disabled" }],
    });
    // nothing in use: disabling needs no force
    await api.deletePipeline({ params: { name: "quiet" } });
    expect((await setCapability(api, `${ECHO}/echo@1`, true)).status).toBe(200);
  });

  it("an upgrade keeps enabled capabilities; one asking for more permissions says which, and they wait disabled", async () => {
    const v2 = await upload(api, tarballs["echo-v2"]!);
    expect(v2.status, JSON.stringify(v2.body)).toBe(201);
    expect(v2.body).toMatchObject({
      version: "2.0.0",
      capabilities: [{ uses: `${ECHO}/echo@2`, enabled: true }], // takes over the enabled echo@1
      upgrade: {
        from: "1.0.0",
        newPermissions: [],
        kept: [`${ECHO}/echo@2`, `${ECHO}/echo@1`],
        awaitingApproval: [],
        removed: [],
      },
    });
    const migrated = await finished(s, "echoes", (await startRun(s, "echoes")).id);
    expect(migrated.steps?.[0]?.outputs).toEqual({ said: "hi", major: 2 });

    expectRefusal(await upload(executor, tarballs["echo-v3"]!), 403, "permission_denied");
    const v3 = await upload(api, tarballs["echo-v3"]!);
    expect(v3.status, JSON.stringify(v3.body)).toBe(201);
    expect(v3.body).toMatchObject({
      version: "3.0.0",
      capabilities: [{ uses: `${ECHO}/echo@2`, enabled: false }],
      upgrade: {
        from: "2.0.0",
        newPermissions: [{ name: "kv", hosts: [], reason: "counts the echoes" }],
        kept: [],
        awaitingApproval: [`${ECHO}/echo@2`, `${ECHO}/echo@1`],
        removed: [],
      },
    });
    const audited = await recorded(s, "plugins.plugin.installed", (r) => dataOf(r).version === "3.0.0");
    expect(dataOf(audited)).toMatchObject({
      upgradedFrom: "2.0.0",
      newPermissions: [{ name: "kv", hosts: [], reason: "counts the echoes" }],
      awaitingApproval: [`${ECHO}/echo@2`, `${ECHO}/echo@1`],
    });
    // approving (enabling) brings the pipeline back
    expect((await setCapability(api, `${ECHO}/echo@2`, true)).status).toBe(200);
    const approved = await finished(s, "echoes", (await startRun(s, "echoes")).id);
    expect(approved.steps?.[0]?.outputs).toEqual({ said: "hi", major: 3 });
  });
});
