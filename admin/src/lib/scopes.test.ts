import { ALL_SCOPES, Scope } from "@latchflow/api/scopes";
import { describe, expect, it } from "vitest";
import { groupsWithin, SCOPE_GROUPS, scopeLabel } from "./scopes.js";

describe("scope groups", () => {
  it("name every scope exactly once", () => {
    const listed = SCOPE_GROUPS.flatMap((g) => g.scopes.map((s) => s.scope));
    expect([...listed].sort()).toEqual([...ALL_SCOPES].sort());
  });

  it("say a scope in words, the scope itself when unknown", () => {
    expect(scopeLabel(Scope.BundlesRead)).toBe("See bundles");
    expect(scopeLabel("future:thing")).toBe("future:thing");
  });

  it("narrow to the scopes held, dropping empty groups", () => {
    const groups = groupsWithin([Scope.BundlesRead, Scope.PipelinesRun, Scope.TokensRead]);
    expect(groups.map((g) => [g.label, g.scopes.map((s) => s.scope)])).toEqual([
      ["Bundles", [Scope.BundlesRead]],
      ["Pipelines", [Scope.PipelinesRun]],
      ["API tokens", [Scope.TokensRead]],
    ]);
    expect(groupsWithin([])).toEqual([]);
  });
});
