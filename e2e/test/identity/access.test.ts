import type { Client, Role } from "@latchflow/api";
import { waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "../http.js";
import { codeIn, MODES, OWNER_EMAIL, type Stack, startStack } from "../stack.js";

describe.each(MODES)("roles, executor permissions and events on %s + %s", (dialect, bus) => {
  let s: Stack;
  let api: Client;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "access");
    api = s.client();
  });
  afterAll(async () => {
    await s?.stop();
  });

  const invite = async (email: string, role: Role) => (await api.inviteUser({ body: { email, role } })).id;

  it("an executor granted bundle A reads A, gets 403 on B, and loses A the moment the grant is revoked", async () => {
    const a = await api.createBundle({ body: { name: "A" } });
    const b = await api.createBundle({ body: { name: "B" } });
    const executorId = await invite("executor@example.com", "executor");
    const executor = (await s.signIn("executor@example.com")).client();
    expectError(await executor.raw.getBundle({ params: { id: a.id } }), 403, "permission_denied");

    const grant = await api.grantPermission({
      params: { id: executorId },
      body: { action: "bundles:read", resourceType: "bundle", resourceId: a.id },
    });
    expect((await executor.getBundle({ params: { id: a.id } })).id).toBe(a.id);
    expectError(await executor.raw.getBundle({ params: { id: b.id } }), 403, "permission_denied");
    const list = await executor.listBundles();
    expect(list.items.map((x) => x.id)).toEqual([a.id]);
    expectError(await executor.raw.listAuditRecords(), 403, "permission_denied");
    const me = await executor.getMe();
    expect(me.effective["bundles:read"]).toEqual([a.id]);
    expect(me.effective["bundles:write"]).toBe("none");

    const sim = await api.simulatePermission({
      body: { userId: executorId, action: "bundles:read", resource: { type: "bundle", id: b.id } },
    });
    expect(sim).toMatchObject({ allowed: false, reason: expect.stringContaining("executor") });

    const revoked = await api.revokePermission({ params: { id: executorId, permissionId: grant.id } });
    expect(revoked.id).toBe(grant.id);
    expectError(await executor.raw.getBundle({ params: { id: a.id } }), 403, "permission_denied");
  });

  it("a deny override beats an admin's role", async () => {
    const c = await api.createBundle({ body: { name: "C" } });
    const adminId = await invite("admin@example.com", "admin");
    const admin = (await s.signIn("admin@example.com")).client();
    expect((await admin.getBundle({ params: { id: c.id } })).id).toBe(c.id);
    await api.grantPermission({
      params: { id: adminId },
      body: { action: "bundles:read", resourceType: "bundle", resourceId: c.id, effect: "deny" },
    });
    expectError(await admin.raw.getBundle({ params: { id: c.id } }), 403, "permission_denied");
  });

  it("only owners manage owners, and one active owner always remains", async () => {
    const admin = (await s.signIn("admin@example.com")).client();
    const asAdmin = await admin.raw.inviteUser({ body: { email: "boss@example.com", role: "owner" } });
    expectError(asAdmin, 403, "permission_denied");
    const users = await api.listUsers();
    const ownerId = users.items.find((u) => u.email === OWNER_EMAIL)!.id;
    expectError(
      await api.raw.updateUser({ params: { id: ownerId }, body: { role: "admin" } }),
      409,
      "conflict",
    );
    expectError(
      await api.raw.updateUser({ params: { id: ownerId }, body: { active: false } }),
      409,
      "conflict",
    );
    const second = await invite("second-owner@example.com", "owner");
    const demoted = await api.updateUser({ params: { id: second }, body: { role: "executor" } });
    expect(demoted).toMatchObject({ role: "executor" });
    expectError(
      await api.raw.inviteUser({ body: { email: "admin@example.com", role: "admin" } }),
      409,
      "conflict",
    );
  });

  it("publishes an event for every identity change and sign-in outcome", async () => {
    const anonymous = s.browser().client();
    await api.createRecipient({ body: { email: "eve@example.com" } });
    await anonymous.startRecipientSignIn({ body: { email: "eve@example.com" } });
    const code = codeIn((await s.mail.waitFor("eve@example.com")).text);
    const wrong = code === "000000" ? "111111" : "000000";
    const failed = await anonymous.raw.verifyRecipientCode({
      body: { email: "eve@example.com", code: wrong },
    });
    expectError(failed, 401, "unauthenticated");
    await anonymous.verifyRecipientCode({ body: { email: "eve@example.com", code } });
    const forged = await anonymous.raw.completeAdminSignIn({ query: { token: "forged-token" } });
    expectError(forged, 401, "unauthenticated");
    const t = await api.createToken({ body: { name: "evented" } });
    await api.rotateToken({ params: { id: t.info.id } });
    await api.revokeToken({ params: { id: t.info.id } });
    const owner = (await s.signIn(OWNER_EMAIL)).client();
    for (const decision of ["approve", "deny"] as const) {
      const d = await anonymous.startDeviceAuthorization({ body: { client_id: "cli" } });
      await owner.decideDeviceAuthorization({ params: { userCode: d.user_code }, body: { decision } });
    }
    const expected = [
      "auth.user.invited",
      "auth.user.role-changed",
      "auth.permission.granted",
      "auth.permission.revoked",
      "auth.magic-link.sent",
      "auth.signin.succeeded",
      "auth.signin.failed",
      "auth.otp.sent",
      "auth.otp.failed",
      "auth.otp.verified",
      "auth.token.created",
      "auth.token.rotated",
      "auth.token.revoked",
      "auth.device.requested",
      "auth.device.approved",
      "auth.device.denied",
      "auth.recipient.created",
    ];
    const seen = await waitFor(
      async () => {
        const types = new Set<string>();
        let cursor: string | null = null;
        do {
          const page = await api.listAuditRecords({
            query: { type: "auth.", limit: 200, ...(cursor ? { cursor } : {}) },
          });
          for (const r of page.items) types.add(r.type);
          cursor = page.nextCursor;
        } while (cursor);
        return expected.every((e) => types.has(e)) ? types : undefined;
      },
      { timeoutMs: 20_000, description: "every auth event audited" },
    );
    expect([...seen]).toEqual(expect.arrayContaining(expected));
  });
});
