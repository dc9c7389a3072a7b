import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveChildScript } from "../src/child-script.js";
import { createPluginHost } from "../src/index.js";
import { PING, pidOf, pluginCode } from "./helpers.js";

const host = createPluginHost();
afterAll(() => host.close());

describe("plugin host child script (ADR 075)", () => {
  it("runs the child from the bundle of host-main.ts with plain node, without tsx", async () => {
    await host.load({ name: "echo", code: pluginCode(PING) });
    const args = readFileSync(`/proc/${pidOf(host)}/cmdline`, "utf8").split("\0");
    expect(args.some((a) => /\/dist\/host-main-[^/]+\.mjs$/.test(a))).toBe(true);
    expect(args.join(" ")).not.toMatch(/tsx|host-main\.ts/);
    expect(args).toContain("--no-node-snapshot");
    expect(await host.invoke("echo", "ping@1", { a: 1 }, {}, { deadlineMs: 2_000 })).toEqual({
      pong: { a: 1 },
    });
  });

  it("reuses the bundle while its sources are unchanged, and builds a new one when one changed", () => {
    const first = resolveChildScript();
    expect(first.fallback).toBeUndefined();
    expect(resolveChildScript().file).toBe(first.file);
    // the pointer says a source had another size when the bundle was built: as after an edit
    const pointerFile = join(dirname(first.file), "host-main.json");
    const pointer = JSON.parse(readFileSync(pointerFile, "utf8")) as {
      file: string;
      inputs: [string, number, number][];
    };
    const source = pointer.inputs.find(([p]) => p === "src/host-main.ts");
    expect(source).toBeDefined();
    source![2] += 1;
    writeFileSync(pointerFile, JSON.stringify(pointer));
    const rebuilt = resolveChildScript();
    expect(rebuilt.file).not.toBe(first.file);
    expect(JSON.parse(readFileSync(pointerFile, "utf8")).file).toBe(rebuilt.file.split("/").pop());
    expect(resolveChildScript().file).toBe(rebuilt.file);
  });
});
