import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  CAPABILITY_NAME_MESSAGE,
  definePlugin,
  manifestOf,
  PluginDefinitionError,
  parseManifest,
} from "../src/index.js";
import { buildPlugin, packPlugin, runPlugin } from "../src/node.js";
import { COUNTER_PLUGIN, pluginDir, untar } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe("packPlugin", () => {
  it("writes a gzip ustar tarball with the manifest, the bundle and the README, and its sha512", async () => {
    const { dir, cleanup } = await pluginDir(COUNTER_PLUGIN, "# Counter\n");
    cleanups.push(cleanup);
    const result = await packPlugin({ dir });
    expect(result.file).toBe(join(dir, "latchflow-plugin-counter-1.2.3.tgz"));
    const tgz = await readFile(result.file);
    expect(result.integrity).toBe(`sha512-${createHash("sha512").update(tgz).digest("base64")}`);

    const files = untar(tgz);
    expect([...files.keys()]).toEqual([
      "package/package.json",
      "package/latchflow-plugin.json",
      "package/plugin.js",
      "package/README.md",
    ]);
    expect(files.get("package/README.md")?.toString()).toBe("# Counter\n");
    expect(JSON.parse(files.get("package/package.json")!.toString())).toEqual({
      name: "latchflow-plugin-counter",
      version: "1.2.3",
      keywords: ["latchflow-plugin"],
      main: "plugin.js",
      latchflow: { apiVersion: "latchflow.dev/plugins/v1" },
    });
    const manifestText = files.get("package/latchflow-plugin.json")!.toString();
    expect(manifestText).not.toContain("run");
    const manifest = JSON.parse(manifestText);
    expect(manifest).toEqual(result.manifest);
    expect(manifest).toEqual({
      name: "latchflow-plugin-counter",
      version: "1.2.3",
      apiVersion: "latchflow.dev/plugins/v1",
      capabilities: [
        {
          kind: "action",
          key: "count",
          major: 1,
          configSchema: { type: "object", properties: { by: { type: "integer" } } },
          outputsSchema: { type: "object", properties: { count: { type: "integer" } } },
          docs: "Adds `by` to a counter.",
        },
      ],
      permissions: [
        { name: "kv", reason: "remember the count" },
        { name: "log", reason: "say what happened" },
      ],
    });
    // the packed bundle is the build and runs
    const { code } = await buildPlugin({ entry: join(dir, "src", "index.ts") });
    expect(files.get("package/plugin.js")?.toString()).toBe(code);
    const output = await runPlugin({
      code: files.get("package/plugin.js")!.toString(),
      capability: "count@1",
      input: { config: { by: 1 } },
      host: { kv: { get: async () => null, set: async () => {}, delete: async () => {} }, log: () => {} },
    });
    expect(output).toEqual({ count: 1 });
    // reproducible
    expect((await packPlugin({ dir, outFile: join(dir, "again.tgz") })).integrity).toBe(result.integrity);
  });

  it("omits a missing README", async () => {
    const { dir, cleanup } = await pluginDir(COUNTER_PLUGIN);
    cleanups.push(cleanup);
    const result = await packPlugin({ dir, outFile: join(dir, "out", "p.tgz") });
    expect([...untar(await readFile(result.file)).keys()]).toEqual([
      "package/package.json",
      "package/latchflow-plugin.json",
      "package/plugin.js",
    ]);
  });
});

describe("definePlugin / manifestOf", () => {
  const spec = {
    name: "@acme/latchflow-ping",
    version: "0.1.0",
    permissions: [{ name: "fetch" as const, hosts: ["api.example.com"], reason: "ping it" }],
    capabilities: {
      "ping@2": {
        kind: "action" as const,
        configSchema: { type: "object" },
        run: async () => ({ ok: true }),
      },
    },
  };

  it("returns the manifest without run functions", () => {
    const plugin = definePlugin(spec);
    expect(manifestOf(plugin)).toEqual(manifestOf(spec));
    expect(manifestOf(plugin).capabilities).toEqual([
      {
        kind: "action",
        key: "ping",
        major: 2,
        configSchema: { type: "object" },
        outputsSchema: {},
        docs: "",
      },
    ]);
    expect(JSON.stringify(manifestOf(plugin))).toBe(
      JSON.stringify(JSON.parse(JSON.stringify(plugin.manifest))),
    );
  });

  it.each([
    [{ ...spec, name: "Bad Name" }, /npm-style/],
    [{ ...spec, version: "1" }, /semver/],
    [{ ...spec, capabilities: { ping: spec.capabilities["ping@2"] } }, /@<major> is missing/],
    [{ ...spec, permissions: [{ name: "fs", reason: "x" }] }, /unknown permission "fs"/],
    [{ ...spec, permissions: [{ name: "fetch", reason: "x" }] }, /needs hosts/],
  ])("rejects an invalid definition (%#)", (bad, message) => {
    expect(() => definePlugin(bad as never)).toThrow(PluginDefinitionError);
    expect(() => definePlugin(bad as never)).toThrow(message);
  });

  const withId = (id: string) => ({ ...spec, capabilities: { [id]: spec.capabilities["ping@2"] } });
  it.each([
    ["Ping@2", "uppercase"],
    ["acme/ping@2", "a slash"],
    ["ping", "@<major> is missing"],
    [`p${"i".repeat(64)}@2`, "longer than 64"],
  ])("refuses the capability id %j (%s) with the naming rule's message", (id, why) => {
    const err = (() => {
      try {
        definePlugin(withId(id) as never);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(PluginDefinitionError);
    expect(err?.message).toContain(why);
    expect(err?.message).toContain(CAPABILITY_NAME_MESSAGE);
  });

  it("accepts a built-in's name as the capability name (the plugin part keeps them apart)", () => {
    expect(manifestOf(definePlugin(withId("email@1") as never)).capabilities[0]).toMatchObject({
      key: "email",
      major: 1,
    });
  });

  it("refuses a package whose plugin part breaks the rule, and reads manifests by the same rule", () => {
    expect(() => definePlugin({ ...spec, name: "@acme/ping.v2" })).toThrow(CAPABILITY_NAME_MESSAGE);
    const manifest = JSON.parse(JSON.stringify(manifestOf(definePlugin(spec))));
    manifest.capabilities[0].key = "acme/ping";
    expect(() => parseManifest(manifest)).toThrow(CAPABILITY_NAME_MESSAGE);
  });
});
