import type { Client, Scope } from "@latchflow/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "../http.js";
import { MODES, OWNER_EMAIL, OWNER_TOKEN, type Stack, startStack } from "../stack.js";

/**
 * Promises about credentials (issue 10, privilege escalation):
 * - a new or rotated token never has a scope its maker's credential lacks, nor outlives it;
 * - managing tokens needs a tokens scope, on every route (device approvals too);
 * - a user manages another user's tokens, sessions and permissions only if they may manage that user
 *   (owners only by owners), and deny overrides count on token routes too.
 */

const GRANT = "urn:ietf:params:oauth:grant-type:device_code";

type NewToken = { name: string; scopes?: Scope[]; expiresInDays?: number };

describe.each(MODES)("token and user management ceilings on %s + %s", (dialect, bus) => {
  let s: Stack;
  let api: Client;
  /** the admin's and the executor's browser sessions */
  let admin: Client;
  let executor: Client;
  let ownerId: string;
  let adminId: string;
  let executorId: string;

  beforeAll(async () => {
    s = await startStack(dialect, bus, "sectokens", { LATCHFLOW_AUTH_RATE_LIMIT: "100000" });
    api = s.client();
    adminId = (await api.inviteUser({ body: { email: "admin@example.com", role: "admin" } })).id;
    executorId = (await api.inviteUser({ body: { email: "executor@example.com", role: "executor" } })).id;
    const users = await api.listUsers();
    ownerId = users.items.find((u) => u.email === OWNER_EMAIL)!.id;
    admin = (await s.signIn("admin@example.com")).client();
    executor = (await s.signIn("executor@example.com")).client();
  });
  afterAll(async () => {
    await s?.stop();
  });

  /** Creates a token with `presenter` (default: the owner's all-scopes bootstrap token): the raw answer. */
  const mint = (body: NewToken, presenter = OWNER_TOKEN) => s.client(presenter).raw.createToken({ body });
  const minted = (body: NewToken, presenter = OWNER_TOKEN) => s.client(presenter).createToken({ body });
  const rotate = (id: string, presenter = OWNER_TOKEN) =>
    s.client(presenter).raw.rotateToken({ params: { id } });
  const me = (token: string) => s.client(token).raw.getMe();
  /** A token made by a signed-in browser (its role's default scopes). */
  const sessionToken = (browser: Client, name: string) => browser.createToken({ body: { name } });
  const allTokens = async (caller: Client) => (await caller.listTokens({ query: { all: "true" } })).items;

  describe("a credential cannot mint more than it has", () => {
    it("a pipelines:run token cannot create a token (managing tokens needs tokens:write)", async () => {
      const runner = await minted({ name: "runner", scopes: ["pipelines:run"] });
      expectError(await mint({ name: "escalated" }, runner.token), 403, "permission_denied");
      expectError(
        await mint({ name: "escalated", scopes: ["users:admin"] }, runner.token),
        403,
        "permission_denied",
      );
      expectError(await s.client(runner.token).raw.listTokens(), 403, "permission_denied");
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
      expect(self.status, JSON.stringify(self.body)).toBe(200);
    });

    it("a device approval made with a bearer token issues no more than that token has", async () => {
      const device = s.browser().client();
      const code = () =>
        device.startDeviceAuthorization({
          body: { client_id: "ceiling-cli", scope: "bundles:read bundles:write users:admin" },
        });
      const approve = (userCode: string, token: string) =>
        s.client(token).raw.decideDeviceAuthorization({
          params: { userCode },
          body: { decision: "approve" },
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
      expect(ok.status).toBe(200);
      const polled = await device.pollDeviceToken({
        body: { grant_type: GRANT, device_code: d.device_code },
      });
      expect(polled.scope).toBe("bundles:read");
      const issued = (await api.listTokens()).items.find((t) => t.name === "device: ceiling-cli");
      expect(issued?.scopes).toEqual(["bundles:read"]);
      expect(issued?.expiresAt).toBe(approver.info.expiresAt);
    });
  });

  describe("an admin cannot take over an owner", () => {
    it("an admin listing every token sees no owner's token, but an executor's", async () => {
      const execToken = await sessionToken(executor, "exec");
      const all = await allTokens(admin);
      expect(all.some((t) => t.userId === ownerId)).toBe(false);
      expect(all.map((t) => t.id)).toContain(execToken.info.id);
      // the owner sees everyone's, the admin's included
      const owners = await allTokens(api);
      expect(owners.some((t) => t.userId === ownerId)).toBe(true);
      // another role: an executor may not list every token
      expectError(await executor.raw.listTokens({ query: { all: "true" } }), 403, "permission_denied");
    });

    it("an admin cannot rotate or revoke an owner's token (it does not exist for them)", async () => {
      const ownerToken = await minted({ name: "owner-own" });
      const token = { params: { id: ownerToken.info.id } };
      expectError(await admin.raw.rotateToken(token), 404, "not_found");
      expectError(await admin.raw.revokeToken(token), 404, "not_found");
      expect((await me(ownerToken.token)).status).toBe(200);
    });

    it("an admin cannot see or revoke an owner's sessions", async () => {
      const owner = (await s.signIn(OWNER_EMAIL)).client();
      const ownerSession = (await owner.listSessions()).items.find((x) => x.current)!.id;
      const seen = await admin.listSessions();
      expect(seen.items.map((x) => x.id)).not.toContain(ownerSession);
      expectError(await admin.raw.revokeSession({ params: { id: ownerSession } }), 404, "not_found");
      expect((await owner.getMe()).email).toBe(OWNER_EMAIL);
    });

    it("an admin cannot put permissions (deny overrides) on an owner, nor remove an owner's", async () => {
      const denied = await admin.raw.grantPermission({
        params: { id: ownerId },
        body: { action: "users:admin", resourceType: "*", effect: "deny" },
      });
      expectError(denied, 403, "permission_denied");
      const own = await api.grantPermission({
        params: { id: ownerId },
        body: { action: "plugins:admin", resourceType: "plugin", resourceId: "x", effect: "allow" },
      });
      expectError(
        await admin.raw.revokePermission({ params: { id: ownerId, permissionId: own.id } }),
        403,
        "permission_denied",
      );
    });

    it("an owner can manage an admin: list and revoke its tokens (not rotate: that is the token user's), set its permissions", async () => {
      const adminToken = await sessionToken(admin, "adm");
      const owners = await allTokens(api);
      expect(owners.map((t) => t.id)).toContain(adminToken.info.id);
      // rotating hands over a secret that acts as that user: only the token's own user rotates it
      expectError(await rotate(adminToken.info.id), 403, "permission_denied");
      expect((await me(adminToken.token)).status).toBe(200);
      const revoked = await api.revokeToken({ params: { id: adminToken.info.id } });
      expect(revoked.revokedAt).not.toBeNull();
      const grant = await api.grantPermission({
        params: { id: adminId },
        body: { action: "plugins:admin", resourceType: "plugin", resourceId: "y", effect: "deny" },
      });
      expect(grant).toMatchObject({ userId: adminId, effect: "deny" });
    });

    it("an admin may revoke an executor's tokens but not rotate them into its own hands; an executor may not manage an admin's", async () => {
      const execToken = await sessionToken(executor, "exec-2");
      // review finding: rotating another user's token gave the rotator that user's identity and overrides
      expectError(
        await admin.raw.rotateToken({ params: { id: execToken.info.id } }),
        403,
        "permission_denied",
      );
      expect((await me(execToken.token)).status).toBe(200);
      const own = await executor.rotateToken({ params: { id: execToken.info.id } });
      expect(own.info.id).toBe(execToken.info.id);
      const revoked = await admin.revokeToken({ params: { id: execToken.info.id } });
      expect(revoked.revokedAt).not.toBeNull();
      const adminToken = await sessionToken(admin, "adm-2");
      expectError(await executor.raw.rotateToken({ params: { id: adminToken.info.id } }), 404, "not_found");
    });

    it("a deny override naming one user is honoured: the admin may no longer manage that user's tokens", async () => {
      const execToken = await sessionToken(executor, "exec-per-user");
      const deny = await api.grantPermission({
        params: { id: adminId },
        body: { action: "users:admin", resourceType: "user", resourceId: executorId, effect: "deny" },
      });
      expectError(await admin.raw.rotateToken({ params: { id: execToken.info.id } }), 404, "not_found");
      expectError(
        await admin.raw.grantPermission({
          params: { id: executorId },
          body: { action: "bundles:read", resourceType: "*", effect: "allow" },
        }),
        403,
        "permission_denied",
      );
      expect((await me(execToken.token)).status).toBe(200);
      const lifted = await api.revokePermission({ params: { id: adminId, permissionId: deny.id } });
      expect(lifted.id).toBe(deny.id);
      const revoked = await admin.revokeToken({ params: { id: execToken.info.id } });
      expect(revoked.revokedAt).not.toBeNull();
    });

    it("an admin cannot delete or loosen its own deny overrides (review finding): an owner changes them", async () => {
      const deny = await api.grantPermission({
        params: { id: adminId },
        body: { action: "files:read", resourceType: "file", resourceId: "f1", effect: "deny" },
      });
      const params = { id: adminId, permissionId: deny.id };
      expectError(await admin.raw.revokePermission({ params }), 403, "permission_denied");
      expectError(
        await admin.raw.grantPermission({
          params: { id: adminId },
          body: { action: "files:read", resourceType: "file", resourceId: "f1", effect: "allow" },
        }),
        403,
        "permission_denied",
      );
      expect((await api.revokePermission({ params })).id).toBe(deny.id);
    });

    it("a restricted admin cannot mint an unrestricted one (review finding): only an owner grants the admin role", async () => {
      expectError(
        await admin.raw.inviteUser({ body: { email: "second-admin@example.com", role: "admin" } }),
        403,
        "permission_denied",
      );
      const exec = await admin.inviteUser({
        body: { email: "another-executor@example.com", role: "executor" },
      });
      expectError(
        await admin.raw.updateUser({ params: { id: exec.id }, body: { role: "admin" } }),
        403,
        "permission_denied",
      );
    });

    it("a deny override on an admin is honoured on the token routes", async () => {
      const execToken = await sessionToken(executor, "exec-3");
      await api.grantPermission({
        params: { id: adminId },
        body: { action: "users:admin", resourceType: "*", effect: "deny" },
      });
      expectError(await admin.raw.listTokens({ query: { all: "true" } }), 403, "permission_denied");
      const token = { params: { id: execToken.info.id } };
      expectError(await admin.raw.rotateToken(token), 404, "not_found");
      expectError(await admin.raw.revokeToken(token), 404, "not_found");
      await api.grantPermission({
        params: { id: adminId },
        body: { action: "tokens:write", resourceType: "*", effect: "deny" },
      });
      expectError(await admin.raw.createToken({ body: { name: "blocked" } }), 403, "permission_denied");
      expect((await me(execToken.token)).status).toBe(200);
    });
  });
});
