import { describe, expect, it } from "vitest";
import { IsolatedVmRuntime } from "../src/index.js";

describe("one isolate serves many invocations", () => {
  it("releases each invocation's context: 1,500 calls with host calls fit in a 16 MB isolate", async () => {
    const runtime = new IsolatedVmRuntime({ limits: { memoryMb: 16 } });
    // ~200 KB of source per context and a host call per invocation: a leaked context per call would
    // exhaust 16 MB within a hundred calls
    const code = `/*${"z".repeat(200_000)}*/
globalThis.plugin = { capabilities: { "x@1": { kind: "action", async run(input, host) {
  const v = await host.kv.get("k");
  return { i: input.i, v, big: "y".repeat(1000).length };
} } } };`;
    const plugin = await runtime.load({ name: "reuse", code });
    const kv = { get: async () => "value", set: async () => {}, delete: async () => {} };
    try {
      for (let i = 0; i < 1_500; i++) {
        const out = await plugin.invoke("x@1", { i }, { kv }, { deadlineMs: 5_000 });
        expect(out).toEqual({ i, v: "value", big: 1000 });
      }
      expect(plugin.stats()).toMatchObject({ isolates: 1, compiles: 1, invocations: 1_500 });
    } finally {
      plugin.dispose();
    }
  });
});
