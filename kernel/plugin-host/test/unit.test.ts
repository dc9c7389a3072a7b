import type { HostCapabilities, Json } from "@latchflow/sandbox";
import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  dispatchCapabilityCall,
  forwardingCapabilities,
  grantedNames,
  isChildMessage,
  isParentMessage,
} from "../src/index.js";

describe("parent-side dispatch", () => {
  const caps: HostCapabilities = { secrets: { get: async (name) => `v:${name}` } };

  it("answers a granted call with a JSON copy", async () => {
    expect(await dispatchCapabilityCall(caps, "secrets.get", '["x"]')).toEqual({
      ok: true,
      valueJson: '"v:x"',
    });
  });

  it("an ungranted call answers capability_denied", async () => {
    expect(await dispatchCapabilityCall(caps, "kv.get", '["x"]')).toMatchObject({
      ok: false,
      error: { code: "capability_denied" },
    });
  });

  it("unknown names, wrong modes and malformed args are refused", async () => {
    for (const [name, args, mode] of [
      ["constructor", "[]", "async"],
      ["secrets.get", "[]", "sync"],
      ["secrets.get", "{}", "async"],
    ] as const) {
      expect(await dispatchCapabilityCall(caps, name, args, mode)).toMatchObject({
        ok: false,
        error: { code: "plugin_error" },
      });
    }
  });

  it("an untyped host failure is hidden from the plugin", async () => {
    const leaky: HostCapabilities = {
      secrets: {
        get: async () => {
          throw new Error("db password=hunter2");
        },
      },
    };
    expect(await dispatchCapabilityCall(leaky, "secrets.get", '["x"]')).toEqual({
      ok: false,
      error: { code: "internal", message: "host call failed", retryable: false },
    });
  });
});

describe("child-side forwarding", () => {
  it("builds stubs for granted members only and routes sync/async calls", async () => {
    const calls: [string, string, unknown[]][] = [];
    const caps = forwardingCapabilities(["kv", "log"], {
      call: async (name, args) => {
        calls.push(["call", name, args]);
        return "r" as Json;
      },
      notify: (name, args) => {
        calls.push(["notify", name, args]);
      },
    });
    expect(Object.keys(caps).sort()).toEqual(["kv", "log"]);
    expect(await caps.kv?.get("k")).toBe("r");
    caps.log?.("info", "m", {});
    expect(calls).toEqual([
      ["call", "kv.get", ["k"]],
      ["notify", "log", ["info", "m", {}]],
    ]);
    expect(grantedNames(caps)).toEqual(["kv", "log"]);
  });
});

describe("protocol and backoff", () => {
  it("recognises message directions", () => {
    expect(isParentMessage({ type: "invoke" })).toBe(true);
    expect(isParentMessage({ type: "invoke_result" })).toBe(false);
    expect(isChildMessage({ type: "capability_call" })).toBe(true);
    expect(isChildMessage(null)).toBe(false);
  });

  it("doubles the restart delay up to the cap", () => {
    expect([0, 1, 2, 3, 7, 8, 50].map((n) => backoffDelay(n, 100, 5_000))).toEqual([
      0, 100, 200, 400, 5_000, 5_000, 5_000,
    ]);
  });
});
