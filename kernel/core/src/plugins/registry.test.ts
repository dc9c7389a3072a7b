import type { PluginManifest } from "@latchflow/plugin-sdk";
import { describe, expect, it } from "vitest";
import { limitsOf, usesPrefix } from "./registry.js";

const manifest = (limits?: PluginManifest["limits"]) =>
  ({
    name: "x",
    version: "1.0.0",
    capabilities: [],
    permissions: [],
    ...(limits ? { limits } : {}),
  }) as unknown as PluginManifest;

describe("plugin limits and names", () => {
  it("grants what a plugin asks for within the kernel's maxima", () => {
    expect(limitsOf(manifest())).toEqual({});
    expect(limitsOf(manifest({ memoryMb: 32, cpuTimeoutMs: 500 }))).toEqual({
      memoryMb: 32,
      cpuTimeoutMs: 500,
    });
    expect(limitsOf(manifest({ memoryMb: 100_000, cpuTimeoutMs: 3_600_000 }))).toEqual({
      memoryMb: 256,
      cpuTimeoutMs: 10_000,
    });
    expect(limitsOf(manifest({ memoryMb: 1, cpuTimeoutMs: 1 }))).toEqual({ memoryMb: 8, cpuTimeoutMs: 10 });
  });

  it("names third-party capabilities by the unscoped package name", () => {
    expect(usesPrefix("latchflow-plugin-slack")).toBe("latchflow-plugin-slack");
    expect(usesPrefix("@acme/notify")).toBe("notify");
  });
});
