import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { integrityOf } from "../src/node.js";
import { COUNTER_PLUGIN, pluginDir, SDK_DIR, SDK_ENTRY } from "./helpers.js";

const BIN = join(SDK_DIR, "bin", "latchflow-plugin.mjs");

function run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NODE_OPTIONS: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe("latchflow-plugin CLI", () => {
  it("build, test and pack a plugin end to end", async () => {
    const { dir, cleanup } = await pluginDir(COUNTER_PLUGIN, "# Counter\n");
    cleanups.push(cleanup);

    const built = await run(["build", "--entry", "src/index.ts", "--out", "dist/plugin.js"], dir);
    expect(built.stderr).toBe("");
    expect(built.code).toBe(0);
    expect(built.stdout).toContain(join(dir, "dist", "plugin.js"));
    expect(await readFile(join(dir, "dist", "latchflow-plugin.json"), "utf8")).toContain('"count"');

    const tested = await run(
      ["test", "--file", "dist/plugin.js", "--capability", "count@1", "--input", '{"by":3}'],
      dir,
    );
    expect(tested.stderr).toBe("");
    expect(tested.code).toBe(0);
    const report = JSON.parse(tested.stdout);
    expect(report.output).toEqual({ count: 3 });
    expect(report.logs).toEqual([{ level: "info", message: "counted", fields: { count: 3 } }]);

    const packed = await run(["pack", "--out", "plugin.tgz"], dir);
    expect(packed.code).toBe(0);
    const [file, integrity] = packed.stdout.trim().split("\n");
    expect(file).toBe(join(dir, "plugin.tgz"));
    expect(integrity).toBe(integrityOf(await readFile(join(dir, "plugin.tgz"))));
  }, 60_000);

  it("fails build with exit code 1 naming a Node built-in", async () => {
    const { dir, cleanup } = await pluginDir(
      `import { definePlugin } from ${JSON.stringify(SDK_ENTRY)};\nimport { exec } from "node:child_process";\n` +
        `definePlugin({ name: "bad", version: "1.0.0", capabilities: { "bad@1": { kind: "action", configSchema: {}, run: async () => String(exec) } } });`,
    );
    cleanups.push(cleanup);
    const result = await run(["build"], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Node built-in module "node:child_process"');
    expect((await run(["frobnicate"], dir)).code).toBe(2);
  }, 60_000);
});
