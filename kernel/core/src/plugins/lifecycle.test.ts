import type { PluginManifest, PluginPermission } from "@latchflow/plugin-sdk";
import { describe, expect, it } from "vitest";
import { newPermissions, planUpgrade, servedIds } from "./lifecycle.js";

const cap = (key: string, major: number, migratesFrom?: number[]) => ({
  kind: "action" as const,
  key,
  major,
  configSchema: {},
  outputsSchema: {},
  docs: "",
  ...(migratesFrom ? { migratesFrom } : {}),
});
const manifest = (
  capabilities: PluginManifest["capabilities"],
  permissions: PluginPermission[] = [],
): PluginManifest => ({
  name: "acme",
  version: "1.0.0",
  apiVersion: "latchflow.dev/plugins/v1",
  capabilities,
  permissions,
});
const kv: PluginPermission = { name: "kv", reason: "state" };
const fetchFrom = (...hosts: string[]): PluginPermission => ({ name: "fetch", hosts, reason: "call" });

describe("plugin upgrades", () => {
  it("keep what was enabled when the new version asks for nothing more; new capabilities start disabled", () => {
    const plan = planUpgrade(
      manifest([cap("a", 1), cap("b", 1)], [kv]),
      manifest([cap("a", 1), cap("b", 1), cap("c", 1)], [kv]),
      new Set(["a@1"]),
    );
    expect(plan).toEqual({
      enabled: ["a@1"],
      newPermissions: [],
      kept: ["a@1"],
      awaitingApproval: [],
      removed: [],
    });
  });

  it("a major that takes over an enabled one (migratesFrom) is enabled, so its pipelines keep running", () => {
    const plan = planUpgrade(
      manifest([cap("echo", 1)]),
      manifest([cap("echo", 2, [1])]),
      new Set(["echo@1"]),
    );
    expect(plan.enabled).toEqual(["echo@2"]);
    expect(plan.kept).toEqual(["echo@2", "echo@1"]);
    expect(plan.removed).toEqual([]);
  });

  it("more permissions: says which, and what was enabled waits disabled", () => {
    const plan = planUpgrade(
      manifest([cap("a", 1), cap("b", 1)], [kv, fetchFrom("api.example.com")]),
      manifest(
        [cap("a", 1)],
        [kv, fetchFrom("api.example.com", "evil.example"), { name: "secrets", reason: "key" }],
      ),
      new Set(["a@1", "b@1"]),
    );
    expect(plan).toEqual({
      enabled: [],
      newPermissions: [
        { name: "fetch", hosts: ["evil.example"], reason: "call" },
        { name: "secrets", hosts: [], reason: "key" },
      ],
      kept: [],
      awaitingApproval: ["a@1"],
      removed: ["b@1"],
    });
  });

  it("fewer permissions or the same hosts are not more", () => {
    expect(newPermissions(manifest([], [kv, fetchFrom("a", "b")]), manifest([], [fetchFrom("b")]))).toEqual(
      [],
    );
  });

  it("servedIds maps migrated majors to the capability serving them", () => {
    expect([...servedIds(manifest([cap("x", 3, [1, 2]), cap("x", 2)]))]).toEqual([
      ["x@3", "x@3"],
      ["x@2", "x@2"],
      ["x@1", "x@3"],
    ]);
  });
});
