import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { PLUGIN_API_VERSION } from "@latchflow/plugin-sdk";
import { packPlugin, tar, untar } from "@latchflow/plugin-sdk/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectRefusal } from "../client-helpers.js";
import { expectError, http } from "../http.js";
import { MODES, OWNER_TOKEN, type Stack } from "../stack.js";
import { finished, pipelineStack, putPipeline, startRun } from "./helpers.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const packDir = mkdtempSync(join(tmpdir(), "lf-plugin-pack-"));

async function pack(name: string) {
  const out = await packPlugin({ dir: fixture(name), outFile: join(packDir, `${name}.tgz`) });
  return { ...out, bytes: readFileSync(out.file) };
}

/** A fake npm registry: one package with two versions (the second with a wrong integrity). */
async function fakeRegistry(tarball: Buffer, integrity: string) {
  let base = "";
  const server: Server = createServer((req, res) => {
    if (req.url === "/latchflow-plugin-echo") {
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          name: "latchflow-plugin-echo",
          "dist-tags": { latest: "1.0.0" },
          versions: {
            "1.0.0": { dist: { tarball: `${base}/echo-1.0.0.tgz`, integrity } },
            "6.6.6": { dist: { tarball: `${base}/echo-1.0.0.tgz`, integrity: `sha512-${"A".repeat(86)}==` } },
          },
        }),
      );
    } else if (req.url === "/echo-1.0.0.tgz") {
      res.end(tarball);
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const echoPipeline = (uses: string, config: string) => `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: echoes }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - { id: say, uses: ${uses}, with: ${config} }
`;

describe.each(MODES)("third-party plugins on %s + %s", (dialect, bus) => {
  let s: Stack;
  let registry: Awaited<ReturnType<typeof fakeRegistry>>;
  let v1: Awaited<ReturnType<typeof pack>>;
  let v2: Awaited<ReturnType<typeof pack>>;

  beforeAll(async () => {
    v1 = await pack("echo-v1");
    v2 = await pack("echo-v2");
    registry = await fakeRegistry(v1.bytes, v1.integrity);
    s = await pipelineStack(dialect, bus, "pipeplug", { LATCHFLOW_PLUGIN_REGISTRY: registry.base });
  });
  afterAll(async () => {
    await s?.stop();
    await registry?.close();
    rmSync(packDir, { recursive: true, force: true });
  });

  const upload = (bytes: Buffer, headers: Record<string, string> = {}) =>
    s.client().raw.installPlugin({ body: bytes, contentType: "application/gzip", headers });
  const fromRegistry = (pkg: string) =>
    s.client().raw.installPlugin({
      body: JSON.stringify({ package: pkg }),
      contentType: "application/json",
    });

  const runEcho = async () => finished(s, "echoes", (await startRun(s, "echoes")).id);

  it("refuses broken packages and a wrong integrity", async () => {
    expectRefusal(await upload(Buffer.from("not a tarball")), 422, "validation_failed");
    expectRefusal(await upload(v1.bytes, { "x-latchflow-integrity": v2.integrity }), 500, "integrity_failed");
    // neither a tarball nor JSON
    expectError(
      await http(s.base, "POST", "/api/v1/plugins", {
        token: OWNER_TOKEN,
        body: "x",
        headers: { "content-type": "text/plain" },
      }),
      415,
      "unsupported_media_type",
    );
    expectRefusal(await fromRegistry("latchflow-plugin-echo@6.6.6"), 500, "integrity_failed");
    expectRefusal(await fromRegistry("no-such-package"), 404, "not_found");
  });

  it("refuses a plugin built for a plugin API this server does not support, naming the ones it does", async () => {
    const files = untar(gunzipSync(v1.bytes));
    const manifest = JSON.parse(files.get("package/latchflow-plugin.json")!.toString("utf8"));
    const entries = [...files].map(([name, data]) => ({
      name,
      data:
        name === "package/latchflow-plugin.json"
          ? Buffer.from(JSON.stringify({ ...manifest, apiVersion: "latchflow.dev/plugins/v2" }))
          : data,
    }));
    const res = await upload(gzipSync(tar(entries)));
    expectRefusal(res, 422, "validation_failed");
    expect(res.body.error.details).toEqual({
      field: "apiVersion",
      apiVersion: "latchflow.dev/plugins/v2",
      supported: [PLUGIN_API_VERSION],
    });
    expect(res.body.error.message).toContain("build the plugin with @latchflow/plugin-sdk 1.x");
  });

  it("installs from the registry with its integrity; capabilities start disabled", async () => {
    const res = await fromRegistry("latchflow-plugin-echo");
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      name: "latchflow-plugin-echo",
      version: "1.0.0",
      source: "registry",
      integrity: v1.integrity,
      capabilities: [{ uses: "latchflow-plugin-echo/echo@1", kind: "action", enabled: false }],
    });
    const invalid = await s.client().raw.putPipeline({
      params: { name: "echoes" },
      body: echoPipeline("latchflow-plugin-echo/echo@1", "{ text: hi }"),
      contentType: "application/yaml",
    });
    expectRefusal(invalid, 409, "capability_unavailable"); // disabled capabilities cannot be used yet
  });

  it("runs an enabled capability in the sandbox, and keeps running x@1 pipelines after the plugin moves to x@2", async () => {
    const enable = (capability: string, on: boolean) =>
      s.client().updatePlugin({
        params: { name: "latchflow-plugin-echo" },
        body: { capabilities: { [capability]: on } },
      });
    await enable("latchflow-plugin-echo/echo@1", true);
    await putPipeline(s, "echoes", echoPipeline("latchflow-plugin-echo/echo@1", "{ text: hello }"));
    const first = await runEcho();
    expect(first.status, JSON.stringify(first)).toBe("succeeded");
    expect(first.steps?.[0]?.outputs).toEqual({ said: "hello", major: 1 });

    const upgraded = await upload(v2.bytes, { "x-latchflow-integrity": v2.integrity });
    expect(upgraded.status, JSON.stringify(upgraded.body)).toBe(201);
    expect(upgraded.body).toMatchObject({ version: "2.0.0" });
    await enable("latchflow-plugin-echo/echo@2", true);
    const caps = await s.client().listCapabilities();
    expect(caps.items.filter((c) => c.uses.startsWith("latchflow-plugin-echo/"))).toEqual([
      expect.objectContaining({ uses: "latchflow-plugin-echo/echo@2", enabled: true }),
      expect.objectContaining({ uses: "latchflow-plugin-echo/echo@1", enabled: true }),
    ]);
    const migrated = await runEcho(); // the pipeline still says echo@1 { text }
    expect(migrated.status, JSON.stringify(migrated)).toBe("succeeded");
    expect(migrated.steps?.[0]?.outputs).toEqual({ said: "hello", major: 2 });

    await putPipeline(
      s,
      "echoes",
      echoPipeline("latchflow-plugin-echo/echo@2", "{ message: hi, loud: true }"),
    );
    expect((await runEcho()).steps?.[0]?.outputs).toEqual({ said: "HI", major: 2 });
  });

  it("disabling stops runs with capability_unavailable; uninstall is refused while pipelines use it", async () => {
    const api = s.client();
    const echo = { params: { name: "latchflow-plugin-echo" } };
    // the enabled pipeline "echoes" uses it: refused without force (plugin-lifecycle.test.ts has the details)
    const off = { capabilities: { "latchflow-plugin-echo/echo@2": false } };
    expectRefusal(await api.raw.updatePlugin({ ...echo, body: off }), 409, "conflict");
    await api.updatePlugin({ ...echo, body: { ...off, force: true } });
    const r = await runEcho();
    expect(r.status).toBe("failed");
    expect(r.steps?.[0]?.errorCode).toBe("capability_unavailable");
    expectRefusal(await api.raw.uninstallPlugin(echo), 409, "conflict");
    await api.deletePipeline({ params: { name: "echoes" } });
    expect(await api.uninstallPlugin(echo)).toMatchObject({ name: "latchflow-plugin-echo" });
    expectRefusal(await api.raw.getPlugin(echo), 404, "not_found");
    const list = await api.listPlugins();
    expect(list.items.every((p) => p.source === "builtin")).toBe(true);
    expect(list.items).toHaveLength(9);
  });

  it("plugin secrets are write-only and sealed", async () => {
    const api = s.client();
    const key = { params: { name: "latchflow-http", secret: "signing-key" } };
    const set = await api.setPluginSecret({ ...key, body: { value: "s3cr3t-value" } });
    expect(JSON.stringify(set)).not.toContain("s3cr3t");
    const listed = await api.listPluginSecrets({ params: { name: "latchflow-http" } });
    expect(JSON.stringify(listed)).not.toContain("s3cr3t");
    expect(listed).toMatchObject({ items: [{ name: "signing-key" }] });
    expectRefusal(
      await api.raw.setPluginSecret({ params: { name: "nope", secret: "x" }, body: { value: "v" } }),
      404,
      "not_found",
    );
    expect(await api.deletePluginSecret(key)).toMatchObject({ name: "signing-key" });
  });
});
