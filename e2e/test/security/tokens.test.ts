import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, type HttpResult, http } from "../http.js";
import { type Browser, MODES, OWNER_EMAIL, OWNER_TOKEN, type Stack, startStack } from "../stack.js";

/**
 * Promises about credentials (issue 10, privilege escalation):
 * - a new or rotated token never has a scope its maker's credential lacks, nor outlives it;
 * - managing tokens needs a tokens scope, on every route (device approvals too);
 * - a user manages another user's tokens, sessions and permissions only if they may manage that user
 *   (owners only by owners), and deny overrides count on token routes too.
 */

interface TokenInfo {
  id: string;
  userId: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
}
interface Created {
  token: string;
  info: TokenInfo;
}

const GRANT = "urn:ietf:params:oauth:grant-type:device_code";

describe.each(MODES)("token and user management ceilings on %s + %s", (dialect, bus) => {
  let s: Stack;
  let admin: Browser;
  let executor: Browser;
  let ownerId: string;
  let adminId: string;
  let executorId: string;

  beforeAll(async () => {
    s = await startStack(dialect, bus, "sectokens", { LATCHFLOW_AUTH_RATE_LIMIT: "100000" });
    const invite = async (email: string, role: string) => {
      const res = await s.api("POST", "/api/v1/users", { json: { email, role } });
      expect(res.status, res.text).toBe(201);
      return (res.body as { id: string }).id;
    };
    adminId = await invite("admin@example.com", "admin");
    executorId = await invite("executor@example.com", "executor");
    const users = (await s.api("GET", "/api/v1/users")).body as { items: { id: string; email: string }[] };
    ownerId = users.items.find((u) => u.email === OWNER_EMAIL)!.id;
    admin = await s.signIn("admin@example.com");
    executor = await s.signIn("executor@example.com");
  });
  afterAll(async () => {
    await s?.stop();
  });

  /** Creates a token with `presenter` (default: the owner's all-scopes bootstrap token). */
  const mint = (body: Record<string, unknown>, presenter = OWNER_TOKEN) =>
    http(s.base, "POST", "/api/v1/tokens", { token: presenter, json: body });
  const minted = async (body: Record<string, unknown>, presenter = OWNER_TOKEN) => {
    const res = await mint(body, presenter);
    expect(res.status, res.text).toBe(201);
    return res.body as Created;
  };
  const rotate = (id: string, presenter = OWNER_TOKEN) =>
    http(s.base, "POST", `/api/v1/tokens/${id}/rotate`, { token: presenter });
  const me = (token: string) => http(s.base, "GET", "/api/v1/auth/me", { token });
  /** A token made by a signed-in browser (its role's default scopes). */
  const sessionToken = async (browser: Browser, name: string) => {
    const res = await browser.request("POST", "/api/v1/tokens", { json: { name }, csrf: "user" });
    expect(res.status, res.text).toBe(201);
    return res.body as Created;
  };
  const items = (res: HttpResult) => (res.body as { items: TokenInfo[] }).items;

  describe("a credential cannot mint more than it has", () => {
    it("a pipelines:run token cannot create a token (managing tokens needs tokens:write)", async () => {
      const runner = await minted({ name: "runner", scopes: ["pipelines:run"] });
      expectError(await mint({ name: "escalated" }, runner.token), 403, "permission_denied");
      expectError(
        await mint({ name: "escalated", scopes: ["users:admin"] }, runner.token),
        403,
        "permission_denied",
      );
      expectError(
        await http(s.base, "GET", "/api/v1/tokens", { token: runner.token }),
        403,
        "permission_denied",
      );
    });

    it("a new token's scopes are within the presenting token's; by default its role's defaults that it holds", async () => {
      const narrow = await minted({ name: "narrow", scopes: ["tokens:write", "bundles:read"] });
      expectError(
        await mint({ name: "wider", scopes: ["bundles:write"] }, narrow.token),
        403,
        "permission_denied",
      );
      const byDefault = await minted({ name: "default" }, narrow.token);
      expect(byDefault.info.scopes.sort()).toEqual(["bundles:read", "tokens:write"]);
      const subset = await minted({ name: "subset", scopes: ["bundles:read"] }, narrow.token);
      expect(subset.info.scopes).toEqual(["bundles:read"]);
    });

    it("a new token expires no later than the presenting token; without a lifetime it expires with it", async () => {
      const daily = await minted({
        name: "daily",
        scopes: ["tokens:write", "bundles:read"],
        expiresInDays: 1,
      });
      const child = await minted({ name: "child", scopes: ["bundles:read"] }, daily.token);
      expect(child.info.expiresAt).toBe(daily.info.expiresAt);
      expectError(await mint({ name: "longer", expiresInDays: 30 }, daily.token), 403, "permission_denied");
    });

    it("a bundles:read token cannot rotate another of its user's tokens", async () => {
      const full = await minted({ name: "full" });
      const reader = await minted({ name: "reader", scopes: ["bundles:read"] });
      expectError(await rotate(full.info.id, reader.token), 403, "permission_denied");
      expect((await me(full.token)).status).toBe(200);
    });

    it("a rotated token stays within the rotating credential: scopes and expiry", async () => {
      const full = await minted({ name: "full-2" });
      const writer = await minted({ name: "writer", scopes: ["tokens:write"] });
      expectError(await rotate(full.info.id, writer.token), 403, "permission_denied");
      const expiring = await minted({ name: "expiring", expiresInDays: 1 });
      const forever = await minted({ name: "forever", scopes: ["bundles:read"] });
      expectError(await rotate(forever.info.id, expiring.token), 403, "permission_denied");
      expect((await me(full.token)).status).toBe(200);
      expect((await me(forever.token)).status).toBe(200);
      const self = await rotate(writer.info.id, writer.token);
      expect(self.status, self.text).toBe(200);
    });

    it("a device approval made with a bearer token issues no more than that token has", async () => {
      const code = async () =>
        (
          await http(s.base, "POST", "/api/v1/auth/device/code", {
            json: { client_id: "ceiling-cli", scope: "bundles:read bundles:write users:admin" },
          })
        ).body as { device_code: string; user_code: string };
      const approve = (userCode: string, token: string) =>
        http(s.base, "POST", "/device", {
          token,
          body: new URLSearchParams({ user_code: userCode, decision: "approve", csrf_token: "" }).toString(),
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });

      const reader = await minted({ name: "device-reader", scopes: ["bundles:read"] });
      const refused = await code();
      expectError(await approve(refused.user_code, reader.token), 403, "permission_denied");

      const approver = await minted({
        name: "device-approver",
        scopes: ["tokens:write", "bundles:read"],
        expiresInDays: 2,
      });
      const d = await code();
      const ok = await approve(d.user_code, approver.token);
      expect(ok.status, ok.text).toBe(200);
      const polled = await http(s.base, "POST", "/api/v1/auth/device/token", {
        json: { grant_type: GRANT, device_code: d.device_code },
      });
      expect(polled.status, polled.text).toBe(200);
      expect((polled.body as { scope: string }).scope).toBe("bundles:read");
      const issued = items(await s.api("GET", "/api/v1/tokens")).find(
        (t) => t.name === "device: ceiling-cli",
      );
      expect(issued?.scopes).toEqual(["bundles:read"]);
      expect(issued?.expiresAt).toBe(approver.info.expiresAt);
    });
  });

  describe("an admin cannot take over an owner", () => {
    it("an admin listing every token sees no owner's token, but an executor's", async () => {
      const execToken = await sessionToken(executor, "exec");
      const all = await admin.request("GET", "/api/v1/tokens?all=true");
      expect(all.status, all.text).toBe(200);
      const ids = items(all).map((t) => t.id);
      expect(items(all).some((t) => t.userId === ownerId)).toBe(false);
      expect(ids).toContain(execToken.info.id);
      // the owner sees everyone's, the admin's included
      const owners = items(await s.api("GET", "/api/v1/tokens?all=true"));
      expect(owners.some((t) => t.userId === ownerId)).toBe(true);
      // another role: an executor may not list every token
      expectError(await executor.request("GET", "/api/v1/tokens?all=true"), 403, "permission_denied");
    });

    it("an admin cannot rotate or revoke an owner's token (it does not exist for them)", async () => {
      const ownerToken = await minted({ name: "owner-own" });
      expectError(
        await admin.request("POST", `/api/v1/tokens/${ownerToken.info.id}/rotate`, { csrf: "user" }),
        404,
        "not_found",
      );
      expectError(
        await admin.request("DELETE", `/api/v1/tokens/${ownerToken.info.id}`, { csrf: "user" }),
        404,
        "not_found",
      );
      expect((await me(ownerToken.token)).status).toBe(200);
    });

    it("an admin cannot see or revoke an owner's sessions", async () => {
      const owner = await s.signIn(OWNER_EMAIL);
      const ownerSessions = (await owner.request("GET", "/api/v1/auth/sessions")).body as {
        items: { id: string; current: boolean }[];
      };
      const ownerSession = ownerSessions.items.find((x) => x.current)!.id;
      const seen = (await admin.request("GET", "/api/v1/auth/sessions")).body as { items: { id: string }[] };
      expect(seen.items.map((x) => x.id)).not.toContain(ownerSession);
      expectError(
        await admin.request("DELETE", `/api/v1/auth/sessions/${ownerSession}`, { csrf: "user" }),
        404,
        "not_found",
      );
      expect((await owner.request("GET", "/api/v1/auth/me")).status).toBe(200);
    });

    it("an admin cannot put permissions (deny overrides) on an owner, nor remove an owner's", async () => {
      const denied = await admin.request("POST", `/api/v1/users/${ownerId}/permissions`, {
        json: { action: "users:admin", resourceType: "*", effect: "deny" },
        csrf: "user",
      });
      expectError(denied, 403, "permission_denied");
      const own = await s.api("POST", `/api/v1/users/${ownerId}/permissions`, {
        json: { action: "plugins:admin", resourceType: "plugin", resourceId: "x", effect: "allow" },
      });
      expect(own.status, own.text).toBe(201);
      expectError(
        await admin.request(
          "DELETE",
          `/api/v1/users/${ownerId}/permissions/${(own.body as { id: string }).id}`,
          {
            csrf: "user",
          },
        ),
        403,
        "permission_denied",
      );
    });

    it("an owner can manage an admin: list and revoke its tokens (not rotate: that is the token user's), set its permissions", async () => {
      const adminToken = await sessionToken(admin, "adm");
      const owners = items(await s.api("GET", "/api/v1/tokens?all=true"));
      expect(owners.map((t) => t.id)).toContain(adminToken.info.id);
      // rotating hands over a secret that acts as that user: only the token's own user rotates it
      expectError(
        await s.api("POST", `/api/v1/tokens/${adminToken.info.id}/rotate`),
        403,
        "permission_denied",
      );
      expect((await me(adminToken.token)).status).toBe(200);
      expect((await s.api("DELETE", `/api/v1/tokens/${adminToken.info.id}`)).status).toBe(200);
      const grant = await s.api("POST", `/api/v1/users/${adminId}/permissions`, {
        json: { action: "plugins:admin", resourceType: "plugin", resourceId: "y", effect: "deny" },
      });
      expect(grant.status, grant.text).toBe(201);
    });

    it("an admin may revoke an executor's tokens but not rotate them into its own hands; an executor may not manage an admin's", async () => {
      const execToken = await sessionToken(executor, "exec-2");
      // review finding: rotating another user's token gave the rotator that user's identity and overrides
      expectError(
        await admin.request("POST", `/api/v1/tokens/${execToken.info.id}/rotate`, { csrf: "user" }),
        403,
        "permission_denied",
      );
      expect((await me(execToken.token)).status).toBe(200);
      const own = await executor.request("POST", `/api/v1/tokens/${execToken.info.id}/rotate`, {
        csrf: "user",
      });
      expect(own.status, own.text).toBe(200);
      const revoked = await admin.request("DELETE", `/api/v1/tokens/${execToken.info.id}`, { csrf: "user" });
      expect(revoked.status, revoked.text).toBe(200);
      const adminToken = await sessionToken(admin, "adm-2");
      expectError(
        await executor.request("POST", `/api/v1/tokens/${adminToken.info.id}/rotate`, { csrf: "user" }),
        404,
        "not_found",
      );
    });

    it("a deny override naming one user is honoured: the admin may no longer manage that user's tokens", async () => {
      const execToken = await sessionToken(executor, "exec-per-user");
      const deny = await s.api("POST", `/api/v1/users/${adminId}/permissions`, {
        json: { action: "users:admin", resourceType: "user", resourceId: executorId, effect: "deny" },
      });
      expect(deny.status, deny.text).toBe(201);
      expectError(
        await admin.request("POST", `/api/v1/tokens/${execToken.info.id}/rotate`, { csrf: "user" }),
        404,
        "not_found",
      );
      expectError(
        await admin.request("POST", `/api/v1/users/${executorId}/permissions`, {
          json: { action: "bundles:read", resourceType: "*", effect: "allow" },
          csrf: "user",
        }),
        403,
        "permission_denied",
      );
      expect((await me(execToken.token)).status).toBe(200);
      const lifted = await s.api(
        "DELETE",
        `/api/v1/users/${adminId}/permissions/${(deny.body as { id: string }).id}`,
      );
      expect(lifted.status, lifted.text).toBe(200);
      const revoked = await admin.request("DELETE", `/api/v1/tokens/${execToken.info.id}`, { csrf: "user" });
      expect(revoked.status, revoked.text).toBe(200);
    });

    it("an admin cannot delete or loosen its own deny overrides (review finding): an owner changes them", async () => {
      const deny = await s.api("POST", `/api/v1/users/${adminId}/permissions`, {
        json: { action: "files:read", resourceType: "file", resourceId: "f1", effect: "deny" },
      });
      expect(deny.status, deny.text).toBe(201);
      const id = (deny.body as { id: string }).id;
      expectError(
        await admin.request("DELETE", `/api/v1/users/${adminId}/permissions/${id}`, { csrf: "user" }),
        403,
        "permission_denied",
      );
      expectError(
        await admin.request("POST", `/api/v1/users/${adminId}/permissions`, {
          json: { action: "files:read", resourceType: "file", resourceId: "f1", effect: "allow" },
          csrf: "user",
        }),
        403,
        "permission_denied",
      );
      expect((await s.api("DELETE", `/api/v1/users/${adminId}/permissions/${id}`)).status).toBe(200);
    });

    it("a restricted admin cannot mint an unrestricted one (review finding): only an owner grants the admin role", async () => {
      expectError(
        await admin.request("POST", "/api/v1/users", {
          json: { email: "second-admin@example.com", role: "admin" },
          csrf: "user",
        }),
        403,
        "permission_denied",
      );
      const exec = await admin.request("POST", "/api/v1/users", {
        json: { email: "another-executor@example.com", role: "executor" },
        csrf: "user",
      });
      expect(exec.status, exec.text).toBe(201);
      expectError(
        await admin.request("PATCH", `/api/v1/users/${(exec.body as { id: string }).id}`, {
          json: { role: "admin" },
          csrf: "user",
        }),
        403,
        "permission_denied",
      );
    });

    it("a deny override on an admin is honoured on the token routes", async () => {
      const execToken = await sessionToken(executor, "exec-3");
      const deny = await s.api("POST", `/api/v1/users/${adminId}/permissions`, {
        json: { action: "users:admin", resourceType: "*", effect: "deny" },
      });
      expect(deny.status, deny.text).toBe(201);
      expectError(await admin.request("GET", "/api/v1/tokens?all=true"), 403, "permission_denied");
      expectError(
        await admin.request("POST", `/api/v1/tokens/${execToken.info.id}/rotate`, { csrf: "user" }),
        404,
        "not_found",
      );
      expectError(
        await admin.request("DELETE", `/api/v1/tokens/${execToken.info.id}`, { csrf: "user" }),
        404,
        "not_found",
      );
      const noTokens = await s.api("POST", `/api/v1/users/${adminId}/permissions`, {
        json: { action: "tokens:write", resourceType: "*", effect: "deny" },
      });
      expect(noTokens.status, noTokens.text).toBe(201);
      expectError(
        await admin.request("POST", "/api/v1/tokens", { json: { name: "blocked" }, csrf: "user" }),
        403,
        "permission_denied",
      );
      expect((await me(execToken.token)).status).toBe(200);
    });
  });
});
