import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { packPlugin } from "@latchflow/plugin-sdk/node";
import { type LocalRegistry, startLocalRegistry } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session } from "../cli/session.js";
import { expectRefusal } from "../client-helpers.js";
import { MODES, type Stack } from "../stack.js";
import { finished, pipelineStack, putPipeline, startRun } from "./helpers.js";

/**
 * Publishing to a real npm registry (Verdaccio, started here on 127.0.0.1) and installing by name on a running
 * server (ADR 041): `latchflow-plugin publish` and plain `npm publish` of the packed tarball, the registry's
 * dist.integrity verified, the size limit, unknown names and versions, an unreachable registry, and callers
 * who may not install.
 */
const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const SDK_BIN = fileURLToPath(new URL("../../../plugins/sdk/bin/latchflow-plugin.mjs", import.meta.url));
const SDK_ENTRY = createRequire(import.meta.url).resolve("@latchflow/plugin-sdk");
const MAX_BYTES = 16_384;

/** A plugin folder outside the workspace whose README (random bytes) packs larger than MAX_BYTES. */
function bulkyPlugin(root: string): string {
  const dir = join(root, "bulky");
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(
    join(dir, "src", "index.ts"),
    `import { definePlugin } from ${JSON.stringify(SDK_ENTRY)};
export default definePlugin({
  name: "latchflow-plugin-bulky",
  version: "1.0.0",
  capabilities: { "noop@1": { kind: "action", configSchema: { type: "object" }, run: () => ({}) } },
});
`,
  );
  writeFileSync(join(dir, "README.md"), randomBytes(4 * MAX_BYTES).toString("latin1"));
  return dir;
}

const echoPipeline = (config: string) => `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: published }
spec:
  triggers:
    - { id: go, uses: manual@1 }
  steps:
    - { id: say, uses: latchflow-plugin-echo/echo@1, with: ${config} }
`;

interface Dist {
  integrity: string;
  tarball: string;
}

describe.each(MODES)("plugins published to a registry, installed by name on %s + %s", (dialect, bus) => {
  let registry: LocalRegistry;
  let s: Stack;
  let work: string;
  const published: Record<string, string> = {};

  const npmEnv = () => ({ ...process.env, NODE_OPTIONS: "", NPM_CONFIG_USERCONFIG: registry.npmrc });
  const dist = async (name: string, version: string): Promise<Dist> => {
    const doc = (await (await fetch(new URL(name, registry.url))).json()) as {
      versions: Record<string, { dist: Dist }>;
    };
    return doc.versions[version]!.dist;
  };
  const install = (pkg: string, token?: string) =>
    s
      .client(token)
      .raw.installPlugin({ body: JSON.stringify({ package: pkg }), contentType: "application/json" });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "lf-registry-e2e-"));
    registry = await startLocalRegistry({ uplink: false });
    // 1.0.0 with `latchflow-plugin publish`, the registry from LATCHFLOW_PLUGIN_REGISTRY
    const cli = await run(process.execPath, [SDK_BIN, "publish", "--dir", fixture("echo-v1")], {
      env: { ...npmEnv(), LATCHFLOW_PLUGIN_REGISTRY: registry.url },
    });
    const [nameAtVersion, integrity] = cli.stdout.trim().split("\n");
    expect(nameAtVersion).toBe("latchflow-plugin-echo@1.0.0");
    published["1.0.0"] = integrity ?? "";
    // 2.0.0 packed, then plain `npm publish <tgz>` (--registry flag form)
    const packed = await packPlugin({ dir: fixture("echo-v2"), outFile: join(work, "echo-v2.tgz") });
    await run("npm", ["publish", packed.file, "--registry", registry.url], { env: npmEnv() });
    published["2.0.0"] = packed.integrity;
    // 3.0.0 under the dist-tag `next`, so `latest` stays 2.0.0 (and its stored tarball is tampered with below)
    const next = await run(
      process.execPath,
      [SDK_BIN, "publish", "--dir", fixture("echo-v3"), "--registry", registry.url, "--tag", "next"],
      { env: npmEnv() },
    );
    published["3.0.0"] = next.stdout.trim().split("\n")[1] ?? "";
    const bulky = await run(process.execPath, [SDK_BIN, "publish", "--registry", registry.url], {
      cwd: bulkyPlugin(work),
      env: npmEnv(),
    });
    expect(bulky.stdout).toContain("latchflow-plugin-bulky@1.0.0");
    s = await pipelineStack(dialect, bus, "regpub", {
      LATCHFLOW_PLUGIN_REGISTRY: registry.url,
      LATCHFLOW_PLUGIN_MAX_BYTES: String(MAX_BYTES),
    });
  });
  afterAll(async () => {
    await s?.stop();
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("the registry states the integrity `publish` printed, for both ways of publishing", async () => {
    for (const [version, integrity] of Object.entries(published)) {
      expect(integrity).toMatch(/^sha512-/);
      expect((await dist("latchflow-plugin-echo", version)).integrity).toBe(integrity);
    }
    const tags = (await (
      await fetch(new URL("-/package/latchflow-plugin-echo/dist-tags", registry.url))
    ).json()) as {
      latest: string;
      next: string;
    };
    expect(tags).toEqual({ latest: "2.0.0", next: "3.0.0" });
  });

  it("callers who may not install plugins (an executor, a token without plugins:admin) get 403 and nothing is installed", async () => {
    const api = s.client();
    await api.inviteUser({ body: { email: "executor@example.com", role: "executor" } });
    const executor = (await s.signIn("executor@example.com")).client();
    const res = await executor.raw.installPlugin({
      body: JSON.stringify({ package: "latchflow-plugin-echo@1.0.0" }),
      contentType: "application/json",
    });
    expectRefusal(res, 403, "permission_denied");
    const narrow = await api.createToken({ body: { name: "runs-only", scopes: ["pipelines:run"] } });
    expectRefusal(await install("latchflow-plugin-echo@1.0.0", narrow.token), 403, "permission_denied");
    expect((await api.listPlugins()).items.every((p) => p.source === "builtin")).toBe(true);
  });

  it("installs name@version from the registry, and the capability runs in a pipeline once enabled", async () => {
    const res = await install("latchflow-plugin-echo@1.0.0");
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      name: "latchflow-plugin-echo",
      version: "1.0.0",
      source: "registry",
      integrity: published["1.0.0"],
      capabilities: [{ uses: "latchflow-plugin-echo/echo@1", enabled: false }],
    });
    const api = s.client();
    await api.updatePlugin({
      params: { name: "latchflow-plugin-echo" },
      body: { capabilities: { "latchflow-plugin-echo/echo@1": true } },
    });
    await putPipeline(s, "published", echoPipeline("{ text: from the registry }"));
    const done = await finished(s, "published", (await startRun(s, "published")).id);
    expect(done.status, JSON.stringify(done)).toBe("succeeded");
    expect(done.steps?.[0]?.outputs).toEqual({ said: "from the registry", major: 1 });
    // kept in the database: read back through a fresh request
    expect(await api.getPlugin({ params: { name: "latchflow-plugin-echo" } })).toMatchObject({
      version: "1.0.0",
      integrity: published["1.0.0"],
    });
  });

  it("`latchflow plugins install <name>` installs the `latest` dist-tag (2.0.0, published with plain npm publish)", async () => {
    const session = await Session.open(s);
    try {
      const installed = await session.shaped("plugins install", ["latchflow-plugin-echo"]);
      expect(installed).toMatchObject({
        version: "2.0.0",
        source: "registry",
        integrity: published["2.0.0"],
      });
    } finally {
      session.close();
    }
  });

  it("a tarball changed in the registry's storage fails its dist.integrity: integrity_failed, nothing changes", async () => {
    const stored = join(registry.storage, "latchflow-plugin-echo", "latchflow-plugin-echo-3.0.0.tgz");
    const original = readFileSync(stored);
    writeFileSync(stored, readFileSync(join(work, "echo-v2.tgz")));
    try {
      const res = await install("latchflow-plugin-echo@3.0.0");
      expectRefusal(res, 500, "integrity_failed");
      expect(JSON.stringify(res.body)).toContain(published["3.0.0"]);
    } finally {
      writeFileSync(stored, original);
    }
    expect(await s.client().getPlugin({ params: { name: "latchflow-plugin-echo" } })).toMatchObject({
      version: "2.0.0",
    });
  });

  it("a tarball over LATCHFLOW_PLUGIN_MAX_BYTES is payload_too_large", async () => {
    expectRefusal(await install("latchflow-plugin-bulky@1.0.0"), 413, "payload_too_large");
  });

  it("an unknown package or version is 404 not_found naming it; a bad spec is 422", async () => {
    const pkg = await install("latchflow-plugin-nothing@1.0.0");
    expectRefusal(pkg, 404, "not_found");
    expect(JSON.stringify(pkg.body)).toContain("latchflow-plugin-nothing");
    const version = await install("latchflow-plugin-echo@9.9.9");
    expectRefusal(version, 404, "not_found");
    expect(JSON.stringify(version.body)).toContain("9.9.9");
    expectRefusal(await install("not a package!"), 422, "validation_failed");
  });

  it("an unreachable registry is 503 unavailable", async () => {
    await registry.stop();
    expectRefusal(await install("latchflow-plugin-echo@3.0.0"), 503, "unavailable");
  });
});
