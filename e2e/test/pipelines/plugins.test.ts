import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packPlugin } from "@latchflow/plugin-sdk/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, http } from "../http.js";
import { MODES, OWNER_TOKEN, type Stack } from "../stack.js";
import { finished, pipelineStack, putPipeline, type RunView } from "./helpers.js";

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
    s = await pipelineStack(dialect, bus, "pipeplug", { LATCHFLOW_NPM_REGISTRY: registry.base });
  });
  afterAll(async () => {
    await s?.stop();
    await registry?.close();
    rmSync(packDir, { recursive: true, force: true });
  });

  const upload = (bytes: Buffer, headers: Record<string, string> = {}) =>
    http(s.base, "POST", "/api/v1/plugins", {
      token: OWNER_TOKEN,
      body: bytes,
      headers: { "content-type": "application/gzip", ...headers },
    });

  const runEcho = async () => {
    const started = await s.api("POST", "/api/v1/pipelines/echoes/runs", { json: {} });
    expect(started.status, started.text).toBe(202);
    return finished(s, "echoes", (started.body as RunView).id);
  };

  it("refuses broken packages and a wrong integrity", async () => {
    expectError(await upload(Buffer.from("not a tarball")), 422, "validation_failed");
    expectError(await upload(v1.bytes, { "x-latchflow-integrity": v2.integrity }), 500, "integrity_failed");
    expectError(
      await http(s.base, "POST", "/api/v1/plugins", {
        token: OWNER_TOKEN,
        body: "x",
        headers: { "content-type": "text/plain" },
      }),
      415,
      "unsupported_media_type",
    );
    expectError(
      await s.api("POST", "/api/v1/plugins", { json: { package: "latchflow-plugin-echo@6.6.6" } }),
      500,
      "integrity_failed",
    );
    expectError(
      await s.api("POST", "/api/v1/plugins", { json: { package: "no-such-package" } }),
      404,
      "not_found",
    );
  });

  it("installs from the registry with its integrity; capabilities start disabled", async () => {
    const res = await s.api("POST", "/api/v1/plugins", { json: { package: "latchflow-plugin-echo" } });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      name: "latchflow-plugin-echo",
      version: "1.0.0",
      source: "registry",
      integrity: v1.integrity,
      capabilities: [{ uses: "latchflow-plugin-echo/echo@1", kind: "action", enabled: false }],
    });
    const invalid = await http(s.base, "PUT", "/api/v1/pipelines/echoes", {
      token: OWNER_TOKEN,
      body: echoPipeline("latchflow-plugin-echo/echo@1", "{ text: hi }"),
      headers: { "content-type": "application/yaml" },
    });
    expectError(invalid, 422, "validation_failed"); // disabled capabilities are unknown to pipelines
  });

  it("runs an enabled capability in the sandbox, and keeps running x@1 pipelines after the plugin moves to x@2", async () => {
    const enable = await s.api("PATCH", "/api/v1/plugins/latchflow-plugin-echo", {
      json: { capabilities: { "latchflow-plugin-echo/echo@1": true } },
    });
    expect(enable.status, enable.text).toBe(200);
    await putPipeline(s, "echoes", echoPipeline("latchflow-plugin-echo/echo@1", "{ text: hello }"));
    const first = await runEcho();
    expect(first.status, JSON.stringify(first)).toBe("succeeded");
    expect(first.steps?.[0]?.outputs).toEqual({ said: "hello", major: 1 });

    const upgraded = await upload(v2.bytes, { "x-latchflow-integrity": v2.integrity });
    expect(upgraded.status, upgraded.text).toBe(201);
    expect((upgraded.body as { version: string }).version).toBe("2.0.0");
    const on2 = await s.api("PATCH", "/api/v1/plugins/latchflow-plugin-echo", {
      json: { capabilities: { "latchflow-plugin-echo/echo@2": true } },
    });
    expect(on2.status, on2.text).toBe(200);
    const caps = (await s.api("GET", "/api/v1/capabilities")).body as {
      items: { uses: string; enabled: boolean }[];
    };
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
    await s.api("PATCH", "/api/v1/plugins/latchflow-plugin-echo", {
      json: { capabilities: { "latchflow-plugin-echo/echo@2": false } },
    });
    const r = await runEcho();
    expect(r.status).toBe("failed");
    expect(r.steps?.[0]?.errorCode).toBe("capability_unavailable");
    expectError(await s.api("DELETE", "/api/v1/plugins/latchflow-plugin-echo"), 409, "conflict");
    expect((await s.api("DELETE", "/api/v1/pipelines/echoes")).status).toBe(200);
    const gone = await s.api("DELETE", "/api/v1/plugins/latchflow-plugin-echo");
    expect(gone.status, gone.text).toBe(200);
    expectError(await s.api("GET", "/api/v1/plugins/latchflow-plugin-echo"), 404, "not_found");
    const list = (await s.api("GET", "/api/v1/plugins")).body as {
      items: { name: string; source: string }[];
    };
    expect(list.items.every((p) => p.source === "builtin")).toBe(true);
    expect(list.items).toHaveLength(9);
  });

  it("plugin secrets are write-only and sealed", async () => {
    const set = await s.api("PUT", "/api/v1/plugins/latchflow-http/secrets/signing-key", {
      json: { value: "s3cr3t-value" },
    });
    expect(set.status, set.text).toBe(200);
    const listed = await s.api("GET", "/api/v1/plugins/latchflow-http/secrets");
    expect(listed.text).not.toContain("s3cr3t");
    expect(listed.body).toMatchObject({ items: [{ name: "signing-key" }] });
    expectError(
      await s.api("PUT", "/api/v1/plugins/nope/secrets/x", { json: { value: "v" } }),
      404,
      "not_found",
    );
    expect((await s.api("DELETE", "/api/v1/plugins/latchflow-http/secrets/signing-key")).status).toBe(200);
  });
});
