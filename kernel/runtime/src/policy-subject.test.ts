import { describe, expect, it } from "vitest";
import { accessOf, decide } from "./policy.js";
import { decideEveryScopeForUser, decideForUser, mayManageUser, subjectOf } from "./policy-subject.js";
import { Scope } from "./scopes.js";

const deny = (action: string) => ({ id: "d1", action, resourceType: "*", resourceId: "*", effect: "deny" });

describe("subjectOf", () => {
  it("caps a credential's scopes by its role's ceiling; without scopes a user holds the ceiling", () => {
    const executor = subjectOf({
      kind: "user",
      role: "executor",
      scopes: [Scope.BundlesRead, Scope.UsersAdmin],
      permissions: [],
    });
    expect(executor.scopes).toEqual([Scope.BundlesRead]);
    // refusals say where the limit comes from: the credential, or the role itself (a user as a whole)
    expect(decide(executor, { action: Scope.FilesRead }).reason).toBe(
      "the credential does not carry the files:read scope",
    );
    const whole = subjectOf({ kind: "user", role: "executor", permissions: [] });
    expect(decide(whole, { action: Scope.UsersAdmin }).reason).toBe(
      "the executor role never holds the users:admin scope",
    );
    expect(subjectOf({ kind: "user", role: "admin", permissions: [] }).scopes).toContain(Scope.UsersAdmin);
    expect(subjectOf({ kind: "recipient", role: "recipient", permissions: [] }).scopes).toEqual([]);
  });
});

describe("token management", () => {
  it("is self-service for every role, but a deny override still wins", () => {
    const executor = subjectOf({ kind: "user", role: "executor", permissions: [] });
    expect(decide(executor, { action: Scope.TokensWrite }).allowed).toBe(true);
    const denied = subjectOf({ kind: "user", role: "admin", permissions: [deny(Scope.TokensWrite)] });
    expect(decide(denied, { action: Scope.TokensWrite }).allowed).toBe(false);
  });
});

describe("mayManageUser", () => {
  const owner = { id: "u-owner", role: "owner" };
  const executor = { id: "u-exec", role: "executor" };

  it("lets owners manage owners, admins only non-owners, executors no one", () => {
    const asOwner = subjectOf({ kind: "user", role: "owner", permissions: [] });
    const asAdmin = subjectOf({ kind: "user", role: "admin", permissions: [] });
    const asExecutor = subjectOf({ kind: "user", role: "executor", permissions: [] });
    expect(mayManageUser(asOwner, owner).allowed).toBe(true);
    expect(mayManageUser(asAdmin, owner)).toMatchObject({
      allowed: false,
      reason: expect.stringContaining("owner"),
    });
    expect(mayManageUser(asAdmin, executor).allowed).toBe(true);
    expect(mayManageUser(asExecutor, executor).allowed).toBe(false);
  });

  it("honours a users:admin deny override and a credential without users:admin", () => {
    const denied = subjectOf({ kind: "user", role: "admin", permissions: [deny(Scope.UsersAdmin)] });
    expect(mayManageUser(denied, executor).allowed).toBe(false);
    const narrow = subjectOf({ kind: "user", role: "owner", scopes: [Scope.TokensWrite], permissions: [] });
    expect(mayManageUser(narrow, executor).allowed).toBe(false);
  });
});

describe("decideForUser", () => {
  const source = (active: boolean, role = "admin") => ({
    getUser: async () => ({ id: "u1", email: "a@example.com", role, active }),
    listPermissions: async () => ({
      permissions: [{ ...deny(Scope.BundlesWrite), userId: "u1", resourceType: "bundle", resourceId: "B" }],
    }),
  });
  const ctx = { requestId: "r1", tenant: "default" };

  it("decides for the user as a whole, with its overrides; deactivated users may do nothing", async () => {
    const write = (id: string) => ({ action: Scope.BundlesWrite, resource: { type: "bundle", id } });
    expect((await decideForUser(source(true), ctx, "u1", write("A"))).allowed).toBe(true);
    expect((await decideForUser(source(true), ctx, "u1", write("B"))).allowed).toBe(false);
    expect(await decideForUser(source(false), ctx, "u1", write("A"))).toMatchObject({
      allowed: false,
      reason: "the user is deactivated",
    });
  });
});

describe("decideEveryScopeForUser", () => {
  const ctx = { requestId: "r1", tenant: "default" };
  const executor = (active: boolean) => ({
    getUser: async () => ({ id: "u2", email: "e@example.com", role: "executor", active }),
    listPermissions: async () => ({
      permissions: [
        {
          id: "g1",
          userId: "u2",
          action: Scope.BundlesRead,
          resourceType: "bundle",
          resourceId: "A",
          effect: "allow",
        },
        { ...deny(Scope.TokensWrite), userId: "u2" },
      ],
    }),
  });

  it("gives every scope's decision on its collection, with the reason, in one read", async () => {
    const { user, scopes } = await decideEveryScopeForUser(executor(true), ctx, "u2");
    expect(user.role).toBe("executor");
    const by = Object.fromEntries(scopes.map((s) => [s.action, s.decision]));
    expect(accessOf(by[Scope.BundlesRead]!)).toEqual(["A"]);
    expect(by[Scope.BundlesWrite]).toMatchObject({
      allowed: false,
      reason: expect.stringContaining("explicit grant"),
    });
    expect(accessOf(by[Scope.TokensRead]!)).toBe("all");
    expect(by[Scope.TokensWrite]).toMatchObject({
      allowed: false,
      reason: "denied by permission override d1",
    });
    expect(by[Scope.UsersAdmin]).toEqual({
      allowed: false,
      reason: "the executor role never holds the users:admin scope",
    });
  });

  it("a deactivated user may do nothing", async () => {
    const { scopes } = await decideEveryScopeForUser(executor(false), ctx, "u2");
    expect(scopes.every((s) => !s.decision.allowed && s.decision.reason === "the user is deactivated")).toBe(
      true,
    );
  });
});
