import type { PluginPermission } from "@latchflow/plugin-sdk";
import { describe, expect, it } from "vitest";
import { checkApproval, egressAllowlist } from "./approvals.js";

const fetchOf = (...hosts: string[]): PluginPermission[] => [{ name: "fetch", hosts, reason: "calls out" }];

describe("egress approvals", () => {
  it("nothing approved is nothing reachable, even for a manifest asking for any host (http@1)", () => {
    expect(egressAllowlist(fetchOf("*"), [])).toEqual([]);
    expect(egressAllowlist(fetchOf("*"), ["hooks.example.com"])).toEqual(["hooks.example.com"]);
  });

  it("an approval stays within what the manifest asks for", () => {
    expect(egressAllowlist(fetchOf("api.acme.example"), ["api.acme.example", "evil.example"])).toEqual([
      "api.acme.example",
    ]);
    expect(egressAllowlist(fetchOf("*.acme.example"), ["eu.acme.example", "acme.example"])).toEqual([
      "eu.acme.example",
    ]);
    expect(egressAllowlist([], ["api.acme.example"])).toEqual([]);
  });

  it("admins approve concrete hosts the manifest covers; `*` itself, URLs and other hosts are refused", () => {
    expect(checkApproval(["*"], ["Hooks.Example.com.", "127.0.0.1", "hooks.example.com"])).toEqual([
      "127.0.0.1",
      "hooks.example.com",
    ]);
    expect(checkApproval(["*.acme.example"], ["*.acme.example", "eu.acme.example"])).toEqual([
      "*.acme.example",
      "eu.acme.example",
    ]);
    for (const bad of ["*", "https://x.example/", "x.example:443"]) {
      expect(() => checkApproval(["*"], [bad])).toThrow(/Only concrete hosts/);
    }
    expect(() => checkApproval(["*.acme.example"], ["other.example"])).toThrow(/Only concrete hosts/);
  });
});
