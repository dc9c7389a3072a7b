import type { schemas } from "@latchflow/api";
import { ALL_SCOPES, Scope } from "@latchflow/api/scopes";
import { describe, expect, it } from "vitest";
import {
  describeAccess,
  describeRule,
  explainReason,
  RESOURCE_KINDS,
  ruleTarget,
  splitRules,
  typeOfAction,
} from "./permissions.js";

const names: Record<string, string> = { "bundle:B1": "Family archive", "pipeline:dead-man": "dead-man" };
const nameOf = (type: string, id: string) => names[`${type}:${id}`];
const rule = (over: Partial<schemas.Permission>): schemas.Permission => ({
  id: "p",
  userId: "u",
  action: Scope.BundlesRead,
  resourceType: "bundle",
  resourceId: "B1",
  effect: "allow",
  createdAt: "2026-12-01T00:00:00.000Z",
  ...over,
});

describe("rules in words", () => {
  it("name the resource by name, else by id; a star is every one of a type", () => {
    expect(ruleTarget(rule({}), nameOf)).toBe("bundle “Family archive”");
    expect(ruleTarget(rule({ resourceId: "B9" }), nameOf)).toBe("bundle B9");
    expect(ruleTarget(rule({ resourceId: "*" }), nameOf)).toBe("every bundle");
    expect(ruleTarget(rule({ resourceType: "*", resourceId: "*" }), nameOf)).toBe("everything");
    expect(
      describeRule(
        rule({ action: Scope.PipelinesRun, resourceType: "pipeline", resourceId: "dead-man" }),
        nameOf,
      ),
    ).toBe("Run pipelines — pipeline “dead-man”");
  });

  it("say an access table entry: everything, nothing, or the granted resources by name", () => {
    expect(describeAccess("all", "bundle", nameOf)).toBe("Everything");
    expect(describeAccess("none", "bundle", nameOf)).toBe("Nothing");
    expect(describeAccess(["B1", "B2"], "bundle", nameOf)).toBe("Only Family archive, B2");
    expect(typeOfAction(Scope.BundlesWrite)).toBe("bundle");
    expect(typeOfAction(Scope.PipelinesRun)).toBe("pipeline");
    expect(typeOfAction(Scope.UsersAdmin)).toBeUndefined();
  });

  it("offer every scope on everything, and on one resource only the actions of its type", () => {
    expect(RESOURCE_KINDS.find((k) => k.type === "*")?.actions).toEqual(ALL_SCOPES);
    for (const kind of RESOURCE_KINDS.filter((k) => k.type !== "*")) {
      expect(kind.actions.every((a) => a.startsWith(`${kind.type}s:`))).toBe(true);
    }
  });

  it("split grants from deny overrides", () => {
    const { grants, denies } = splitRules([
      rule({ id: "a" }),
      rule({ id: "d", effect: "deny" }),
      rule({ id: "b" }),
    ]);
    expect(grants.map((p) => p.id)).toEqual(["a", "b"]);
    expect(denies.map((p) => p.id)).toEqual(["d"]);
  });
});

describe("explainReason", () => {
  it("spells out the rule a reason names, and leaves other reasons as the server said them", () => {
    const id = "01JF0000000000000000000000";
    const rules = [rule({ id, effect: "deny" })];
    expect(explainReason(`denied by permission override ${id}`, rules, nameOf)).toBe(
      `denied by permission override ${id} (See bundles — bundle “Family archive”)`,
    );
    expect(explainReason("the admin role allows bundles:read", rules, nameOf)).toBe(
      "the admin role allows bundles:read",
    );
  });
});
