import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Json, JsonObject, LogLevel } from "@latchflow/sandbox";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BUILD_SERVICE_IDLE_MS } from "../src/build.js";
import { CAPABILITY_NAME_MESSAGE } from "../src/index.js";
import { buildPlugin, createTestHost, PluginBuildError, runPlugin } from "../src/node.js";
import { COUNTER_PLUGIN, pluginDir, SDK_ENTRY } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function tempPlugin(source: string) {
  const p = await pluginDir(source);
  cleanups.push(p.cleanup);
  return p.dir;
}

describe("buildPlugin + runPlugin", () => {
  it("bundles to one script and runs it in the sandbox with copied host data", async () => {
    const dir = await tempPlugin(COUNTER_PLUGIN);
    const outFile = join(dir, "dist", "plugin.js");
    const built = await buildPlugin({ entry: join(dir, "src", "index.ts"), outFile });
    const code = await readFile(outFile, "utf8");
    expect(code).toBe(built.code);
    expect(code).not.toMatch(/\brequire\s*\(|\bimport\s*[({"'*]|\bimport\s+\w|\bexport\s/);
    expect(built.manifest?.capabilities[0]).toMatchObject({ key: "count", major: 1, kind: "action" });
    const manifestJson = JSON.parse(await readFile(join(dir, "dist", "latchflow-plugin.json"), "utf8"));
    expect(manifestJson).toEqual(built.manifest);

    const kvSets: [string, Json][] = [];
    const logs: [LogLevel, string, JsonObject][] = [];
    const store = new Map<string, Json>([["count", { n: 40, tags: [] }]]);
    const output = await runPlugin({
      file: outFile,
      capability: "count@1",
      input: { config: { by: 2 } },
      host: {
        kv: {
          get: async (key) => store.get(key) ?? null,
          set: async (key, value) => {
            kvSets.push([key, value]);
          },
          delete: async () => {},
        },
        log: (level, message, fields) => {
          logs.push([level, message, fields]);
        },
      },
    });
    expect(output).toEqual({ count: 42 });
    // the plugin mutated its object after set: the host kept the copy it was given
    expect(kvSets).toEqual([["count", { n: 42, tags: ["a", "b"] }]]);
    expect(logs).toEqual([["info", "counted", { count: 42 }]]);
  });

  it("works with the in-memory test host and reports typed errors", async () => {
    const dir = await tempPlugin(COUNTER_PLUGIN);
    const { code } = await buildPlugin({ entry: join(dir, "src", "index.ts") });
    const record = createTestHost();
    await runPlugin({ code, capability: "count@1", input: { config: { by: 5 } }, host: record.host });
    expect(
      await runPlugin({ code, capability: "count@1", input: { config: { by: 1 } }, host: record.host }),
    ).toEqual({
      count: 6,
    });
    expect(record.kv.get("count")).toEqual({ n: 6, tags: ["a", "b"] });
    // kv not granted → the call fails the invocation with capability_denied
    await expect(
      runPlugin({ code, capability: "count@1", input: { config: { by: 1 } } }),
    ).rejects.toMatchObject({
      code: "capability_denied",
    });
    await expect(runPlugin({ code, capability: "nope@1", input: null })).rejects.toMatchObject({
      code: "plugin_error",
    });
  });

  it("refuses at build time a capability id that breaks the naming rule, with the rule's message", async () => {
    const dir = await tempPlugin(
      `import { definePlugin } from ${JSON.stringify(SDK_ENTRY)};\n` +
        `definePlugin({ name: "latchflow-plugin-x", version: "1.0.0", capabilities: { "x/upper@1": { kind: "action", configSchema: {}, run: async () => null } } });`,
    );
    const err = await buildPlugin({ entry: join(dir, "src", "index.ts") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginBuildError);
    expect((err as Error).message).toContain('"x/upper@1" breaks the capability naming rule (a slash');
    expect((err as Error).message).toContain(CAPABILITY_NAME_MESSAGE);
  });

  it.each([
    ["node:fs", `import { readFileSync } from "node:fs"; export const x = readFileSync;`],
    ["child_process", `import * as cp from "child_process"; export const x = cp;`],
    ["fs/promises", `export const x = import("fs/promises");`],
  ])("refuses a plugin importing %s, naming the module", async (module, source) => {
    const dir = await tempPlugin(
      `import { definePlugin } from ${JSON.stringify(SDK_ENTRY)};\n${source}\n` +
        `definePlugin({ name: "bad", version: "1.0.0", capabilities: { "bad@1": { kind: "action", configSchema: {}, run: async () => null } } });`,
    );
    const err = await buildPlugin({ entry: join(dir, "src", "index.ts") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginBuildError);
    expect((err as Error).message).toContain(`Node built-in module "${module}"`);
    expect((err as Error).message).toContain("index.ts:");
  });

  it("stops esbuild's service once no build ran for a while, and starts it again for the next build", async () => {
    const dir = await tempPlugin(COUNTER_PLUGIN);
    const entry = join(dir, "src", "index.ts");
    const esbuildChildren = () =>
      execFileSync("ps", ["-o", "stat=,args=", "--ppid", String(process.pid)], { encoding: "utf8" })
        .split("\n")
        .filter((line) => /esbuild/.test(line) && !line.trimStart().startsWith("Z"));
    await buildPlugin({ entry });
    expect(esbuildChildren()).toHaveLength(1);
    await vi.waitFor(() => expect(esbuildChildren()).toEqual([]), {
      timeout: BUILD_SERVICE_IDLE_MS + 5_000,
      interval: 100,
    });
    const again = await buildPlugin({ entry });
    expect(again.manifest?.capabilities[0]).toMatchObject({ key: "count" });
  });
});
