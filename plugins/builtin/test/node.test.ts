import { manifestFromBundle } from "@latchflow/plugin-sdk/node";
import { describe, expect, it } from "vitest";
import { builtinManifests } from "../src/index.js";
import { builtinEntries, builtinPluginSources } from "../src/node.js";

describe("builtinPluginSources", () => {
  it("builds all nine once per process, each bundle carrying exactly its manifest", async () => {
    const started = performance.now();
    const first = builtinPluginSources();
    const sources = await first;
    const ms = performance.now() - started;
    expect(builtinPluginSources()).toBe(first);
    expect(sources.map((s) => s.name)).toEqual(builtinManifests.map((m) => m.name));
    expect(builtinEntries.map((e) => e.name)).toEqual(builtinManifests.map((m) => m.name));
    for (const [i, source] of sources.entries()) {
      expect(manifestFromBundle(source.code), source.name).toEqual(builtinManifests[i]);
      expect(source.code).not.toMatch(/\brequire\s*\(|\bprocess\.|\bDate\.now\(/);
    }
    // generous bound: catches a build that stopped being one esbuild pass per plugin
    expect(ms).toBeLessThan(20_000);
  });
});
