// getUserAccess: the effective permissions table of a user as a whole (what the admin app's user page shows next to
// the simulate route), decided by the one policy: it agrees with what the user's own session may do, and only
// callers with users:admin may read it.
import type { Client } from "@latchflow/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectRefusal } from "../client-helpers.js";
import { MODES, type Stack, startStack } from "../stack.js";

describe.each(MODES)("a user's effective permissions on %s + %s", (dialect, bus) => {
  let s: Stack;
  let api: Client;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "useraccess");
    api = s.client();
  });
  afterAll(async () => {
    await s?.stop();
  });

  const table = async (id: string) =>
    Object.fromEntries((await api.getUserAccess({ params: { id } })).scopes.map((x) => [x.action, x]));

  it("lists every scope with its access and why, as the user's own session sees it", async () => {
    const mine = await api.createBundle({ body: { name: "Granted" } });
    const user = await api.inviteUser({ body: { email: `exec-${dialect}@example.com`, role: "executor" } });
    const grant = await api.grantPermission({
      params: { id: user.id },
      body: { action: "bundles:read", resourceType: "bundle", resourceId: mine.id },
    });
    const deny = await api.grantPermission({
      params: { id: user.id },
      body: { action: "tokens:write", resourceType: "*", effect: "deny" },
    });

    const access = await api.getUserAccess({ params: { id: user.id } });
    expect(access).toMatchObject({ userId: user.id, role: "executor", active: true });
    expect(access.scopes.map((x) => x.action)).toEqual(Object.keys((await api.getMe()).effective));
    const by = await table(user.id);
    expect(by["bundles:read"]).toEqual({
      action: "bundles:read",
      access: [mine.id],
      reason: "allowed for 1 granted resource(s)",
    });
    expect(by["tokens:write"]).toEqual({
      action: "tokens:write",
      access: "none",
      reason: `denied by permission override ${deny.id}`,
    });
    expect(by["tokens:read"]?.access).toBe("all");
    expect(by["users:admin"]).toMatchObject({ access: "none", reason: expect.stringContaining("scope") });

    // the same table the user's own session gets from getMe
    const own = await (await s.signIn(user.email)).client().getMe();
    expect(Object.fromEntries(access.scopes.map((x) => [x.action, x.access]))).toEqual(own.effective);

    // grants take effect on the next read; a deactivated user may do nothing
    await api.revokePermission({ params: { id: user.id, permissionId: grant.id } });
    expect((await table(user.id))["bundles:read"]?.access).toBe("none");
    await api.updateUser({ params: { id: user.id }, body: { active: false } });
    const off = await api.getUserAccess({ params: { id: user.id } });
    expect(off.active).toBe(false);
    expect(off.scopes.every((x) => x.access === "none" && x.reason === "the user is deactivated")).toBe(true);
  });

  it("is refused without users:admin (executor session, narrow token, admin denied it) and on bad ids", async () => {
    const target = await api.inviteUser({
      body: { email: `target-${dialect}@example.com`, role: "executor" },
    });
    const params = { params: { id: target.id } };
    const executor = await s.signIn(target.email);
    expectRefusal(await executor.client().raw.getUserAccess(params), 403, "permission_denied");
    const narrow = await api.createToken({
      body: { name: "narrow", scopes: ["tokens:read", "bundles:read"] },
    });
    expectRefusal(await s.client(narrow.token).raw.getUserAccess(params), 403, "permission_denied");
    const admin = await api.inviteUser({ body: { email: `admin-${dialect}@example.com`, role: "admin" } });
    await api.grantPermission({
      params: { id: admin.id },
      body: { action: "users:admin", resourceType: "*", effect: "deny" },
    });
    const denied = (await s.signIn(admin.email)).client();
    expectRefusal(await denied.raw.getUserAccess(params), 403, "permission_denied");

    expectRefusal(await api.raw.getUserAccess({ params: { id: "not-an-id" } }), 422, "validation_failed");
    expectRefusal(
      await api.raw.getUserAccess({ params: { id: "01ARZ3NDEKTSV4RRFFQ69G5FAV" } }),
      404,
      "not_found",
    );
  });
});
