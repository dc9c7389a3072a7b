import { waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, http } from "../http.js";
import { codeIn, MODES, OWNER_EMAIL, type Stack, startStack } from "../stack.js";

interface Id {
  id: string;
}

describe.each(MODES)("roles, executor permissions and events on %s + %s", (dialect, bus) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "access");
  });
  afterAll(async () => {
    await s?.stop();
  });

  const invite = async (email: string, role: string) => {
    const res = await s.api("POST", "/api/v1/users", { json: { email, role } });
    expect(res.status, res.text).toBe(201);
    return (res.body as Id).id;
  };

  it("an executor granted bundle A reads A, gets 403 on B, and loses A the moment the grant is revoked", async () => {
    const a = (await s.api("POST", "/api/v1/bundles", { json: { name: "A" } })).body as Id;
    const b = (await s.api("POST", "/api/v1/bundles", { json: { name: "B" } })).body as Id;
    const executorId = await invite("executor@example.com", "executor");
    const executor = await s.signIn("executor@example.com");
    expectError(await executor.request("GET", `/api/v1/bundles/${a.id}`), 403, "permission_denied");

    const grant = await s.api("POST", `/api/v1/users/${executorId}/permissions`, {
      json: { action: "bundles:read", resourceType: "bundle", resourceId: a.id },
    });
    expect(grant.status, grant.text).toBe(201);
    expect((await executor.request("GET", `/api/v1/bundles/${a.id}`)).status).toBe(200);
    expectError(await executor.request("GET", `/api/v1/bundles/${b.id}`), 403, "permission_denied");
    const list = await executor.request("GET", "/api/v1/bundles");
    expect((list.body as { items: Id[] }).items.map((x) => x.id)).toEqual([a.id]);
    expectError(await executor.request("GET", "/api/v1/audit"), 403, "permission_denied");
    const meBody = (await executor.request("GET", "/api/v1/auth/me")).body as {
      effective: Record<string, unknown>;
    };
    expect(meBody.effective["bundles:read"]).toEqual([a.id]);
    expect(meBody.effective["bundles:write"]).toBe("none");

    const sim = await s.api("POST", "/api/v1/auth/permissions/simulate", {
      json: { userId: executorId, action: "bundles:read", resource: { type: "bundle", id: b.id } },
    });
    expect(sim.body).toMatchObject({ allowed: false, reason: expect.stringContaining("executor") });

    const revoke = await s.api("DELETE", `/api/v1/users/${executorId}/permissions/${(grant.body as Id).id}`);
    expect(revoke.status).toBe(200);
    expectError(await executor.request("GET", `/api/v1/bundles/${a.id}`), 403, "permission_denied");
  });

  it("a deny override beats an admin's role", async () => {
    const c = (await s.api("POST", "/api/v1/bundles", { json: { name: "C" } })).body as Id;
    const adminId = await invite("admin@example.com", "admin");
    const admin = await s.signIn("admin@example.com");
    expect((await admin.request("GET", `/api/v1/bundles/${c.id}`)).status).toBe(200);
    await s.api("POST", `/api/v1/users/${adminId}/permissions`, {
      json: { action: "bundles:read", resourceType: "bundle", resourceId: c.id, effect: "deny" },
    });
    expectError(await admin.request("GET", `/api/v1/bundles/${c.id}`), 403, "permission_denied");
  });

  it("only owners manage owners, and one active owner always remains", async () => {
    const admin = await s.signIn("admin@example.com");
    const asAdmin = await admin.request("POST", "/api/v1/users", {
      json: { email: "boss@example.com", role: "owner" },
      csrf: "user",
    });
    expectError(asAdmin, 403, "permission_denied");
    const users = (await s.api("GET", "/api/v1/users")).body as { items: { id: string; email: string }[] };
    const ownerId = users.items.find((u) => u.email === OWNER_EMAIL)!.id;
    expectError(
      await s.api("PATCH", `/api/v1/users/${ownerId}`, { json: { role: "admin" } }),
      409,
      "conflict",
    );
    expectError(
      await s.api("PATCH", `/api/v1/users/${ownerId}`, { json: { active: false } }),
      409,
      "conflict",
    );
    const second = await invite("second-owner@example.com", "owner");
    const demoted = await s.api("PATCH", `/api/v1/users/${second}`, { json: { role: "executor" } });
    expect(demoted.body).toMatchObject({ role: "executor" });
    expectError(
      await s.api("POST", "/api/v1/users", { json: { email: "admin@example.com", role: "admin" } }),
      409,
      "conflict",
    );
  });

  it("publishes an event for every identity change and sign-in outcome", async () => {
    await s.api("POST", "/api/v1/recipients", { json: { email: "eve@example.com" } });
    await s.api("POST", "/api/v1/auth/recipient/start", { token: "", json: { email: "eve@example.com" } });
    const code = codeIn((await s.mail.waitFor("eve@example.com")).text);
    await http(s.base, "POST", "/api/v1/auth/recipient/verify", {
      json: { email: "eve@example.com", code: code === "000000" ? "111111" : "000000" },
    });
    await http(s.base, "POST", "/api/v1/auth/recipient/verify", { json: { email: "eve@example.com", code } });
    await http(s.base, "GET", "/api/v1/auth/admin/callback?token=forged-token");
    const t = (await s.api("POST", "/api/v1/tokens", { json: { name: "evented" } })).body as { info: Id };
    await s.api("POST", `/api/v1/tokens/${t.info.id}/rotate`);
    await s.api("DELETE", `/api/v1/tokens/${t.info.id}`);
    const owner = await s.signIn(OWNER_EMAIL);
    for (const decision of ["approve", "deny"]) {
      const d = (await http(s.base, "POST", "/api/v1/auth/device/code", { json: { client_id: "cli" } }))
        .body as { user_code: string };
      const page = await owner.request("GET", `/device?user_code=${d.user_code}`);
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.text)![1]!;
      await owner.request("POST", "/device", {
        form: { user_code: d.user_code, decision, csrf_token: csrf },
      });
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
        let cursor = "";
        do {
          const res = await s.api(
            "GET",
            `/api/v1/audit?type=auth.&limit=200${cursor ? `&cursor=${cursor}` : ""}`,
          );
          const page = res.body as { items: { type: string }[]; nextCursor: string | null };
          for (const r of page.items) types.add(r.type);
          cursor = page.nextCursor ?? "";
        } while (cursor);
        return expected.every((e) => types.has(e)) ? types : undefined;
      },
      { timeoutMs: 20_000, description: "every auth event audited" },
    );
    expect([...seen]).toEqual(expect.arrayContaining(expected));
  });
});
