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
      ["test", "--file", "dist/plugin.js", "--capability", "count@1", "--config", '{"by":3}'],
      dir,
    );
    expect(tested.stderr).toBe("");
    expect(tested.code).toBe(0);
    const report = JSON.parse(tested.stdout);
    expect(report.status).toBe("succeeded");
    expect(report.outputs).toEqual({ count: 3 });
    expect(report.input).toMatchObject({ config: { by: 3 }, step: { id: "step" }, run: { attempt: 1 } });
    expect(report.logs).toEqual([{ level: "info", message: "counted", fields: { count: 3 } }]);

    const packed = await run(["pack", "--out", "plugin.tgz"], dir);
    expect(packed.code).toBe(0);
    const [file, integrity] = packed.stdout.trim().split("\n");
    expect(file).toBe(join(dir, "plugin.tgz"));
    expect(integrity).toBe(integrityOf(await readFile(join(dir, "plugin.tgz"))));
  }, 60_000);

  it("test drives a trigger through a webhook request, and refuses bad options", async () => {
    const { dir, cleanup } = await pluginDir(
      `import { definePlugin, triggerInput } from ${JSON.stringify(SDK_ENTRY)};\n` +
        `definePlugin({ name: "latchflow-plugin-hook", version: "1.0.0", permissions: [{ name: "emit", reason: "fire" }], ` +
        `capabilities: { "hook@1": { kind: "trigger", configSchema: {}, run: async (raw, host) => { const i = triggerInput(raw); ` +
        `host.emit({ kind: "got", payload: i.event }); return { response: { status: 202, body: { now: i.now, label: i.config.label } } }; } } } });`,
    );
    cleanups.push(cleanup);
    expect((await run(["build"], dir)).code).toBe(0);
    const now = "2026-01-02T03:04:05.000Z";
    const hook = await run(
      [
        "test",
        "--capability",
        "hook@1",
        "--event",
        "request",
        "--body",
        "hi",
        "--headers",
        '{"Cookie":"c"}',
      ].concat(["--config", '{"label":"x"}', "--now", now]),
      dir,
    );
    expect(hook.stderr).toBe("");
    expect(hook.code).toBe(0);
    const report = JSON.parse(hook.stdout);
    expect(report.result).toEqual({ response: { status: 202, body: { now, label: "x" } } });
    expect(report.fires).toEqual([
      {
        kind: "got",
        payload: {
          type: "request",
          request: {
            headers: { "content-type": "application/json" },
            body: "hi",
            bodyBytes: 2,
            receivedAt: now,
          },
        },
      },
    ]);
    const bad = await run(["test", "--capability", "hook@1", "--config", "[1]"], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--config must be a JSON object");
    expect((await run(["test", "--capability", "hook@1", "--event", "later"], dir)).stderr).toContain(
      "--event must be one of arm, timer, request, control, status",
    );
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
