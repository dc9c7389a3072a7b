import { describe, expect, it } from "vitest";
import { decide, type PermissionRule, type PolicySubject } from "./policy.js";
import { ALL_SCOPES, Scope } from "./scopes.js";

const rule = (r: Partial<PermissionRule>): PermissionRule => ({
  id: "p1",
  action: Scope.BundlesRead,
  resourceType: "bundle",
  resourceId: "A",
  effect: "allow",
  ...r,
});
const user = (
  role: string,
  permissions: PermissionRule[] = [],
  scopes: readonly string[] = ALL_SCOPES,
): PolicySubject => ({
  kind: "user",
  role,
  scopes,
  permissions,
});
const bundle = (id: string) => ({ type: "bundle", id });

describe("decide", () => {
  it("lets owners and admins act by role", () => {
    expect(decide(user("owner"), { action: Scope.UsersAdmin }).allowed).toBe(true);
    expect(decide(user("admin"), { action: Scope.BundlesWrite, resource: bundle("B") }).allowed).toBe(true);
  });

  it("caps everything by the credential's scopes", () => {
    const d = decide(user("owner", [], [Scope.BundlesRead]), { action: Scope.BundlesWrite });
    expect(d).toMatchObject({ allowed: false, reason: expect.stringContaining("bundles:write") });
  });

  it("gives executors only what was granted, per resource", () => {
    const ex = user("executor", [rule({})]);
    expect(decide(ex, { action: Scope.BundlesRead, resource: bundle("A") }).allowed).toBe(true);
    expect(decide(ex, { action: Scope.BundlesRead, resource: bundle("B") }).allowed).toBe(false);
    expect(decide(ex, { action: Scope.BundlesWrite, resource: bundle("A") }).allowed).toBe(false);
    expect(decide(ex, { action: Scope.BundlesRead })).toEqual({
      allowed: true,
      reason: expect.any(String),
      restrictTo: ["A"],
    });
    expect(decide(user("executor"), { action: Scope.BundlesRead }).allowed).toBe(false);
  });

  it("lets a type-wide grant and a wildcard resource id cover every resource", () => {
    const ex = user("executor", [rule({ resourceId: "*" })]);
    expect(decide(ex, { action: Scope.BundlesRead, resource: bundle("Z") }).allowed).toBe(true);
  });

  it("makes an explicit deny win over the role and over grants", () => {
    const admin = user("admin", [rule({ effect: "deny", id: "d1" })]);
    expect(decide(admin, { action: Scope.BundlesRead, resource: bundle("A") })).toMatchObject({
      allowed: false,
      reason: "denied by permission override d1",
    });
    expect(decide(admin, { action: Scope.BundlesRead, resource: bundle("B") }).allowed).toBe(true);
  });

  it("never lets recipients use the admin API", () => {
    expect(decide({ ...user("owner"), kind: "recipient" }, { action: Scope.BundlesRead }).allowed).toBe(
      false,
    );
  });
});
