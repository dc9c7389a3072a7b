import { CallerKind, ErrorCode, roleCeiling } from "@latchflow/runtime";
import { TEST_DIALECTS } from "@latchflow/runtime/testing";
import { describe, expect, it } from "vitest";
import { withAuthService } from "./auth-harness.js";

const base = { requestId: "authenticate", tenant: "default", client: { ip: "127.0.0.1" } };

// Authenticate reads credential, user and permissions in one statement: each credential authenticates only as
// its own kind, and a revoked session or token is refused at once.
describe.each(TEST_DIALECTS)("Authenticate on %s", (dialect) => {
  it("answers each credential only for its own kind, and never after revocation", () =>
    withAuthService(dialect, "auth_authn", async (auth, mail) => {
      const refused = { code: ErrorCode.Unauthenticated };
      await auth.startAdminSignIn({ email: "owner@example.com", linkBase: "http://x", next: "" }, base);
      const link = (await mail.waitFor("owner@example.com")).text.match(/token=(\S+)/)?.[1];
      const grant = await auth.completeAdminSignIn({ token: decodeURIComponent(link!) }, base);
      const session = grant.sessionToken;

      const viaSession = await auth.authenticate({ token: session, kind: "user_session" }, base);
      expect(viaSession).toMatchObject({ kind: "user", role: "owner", email: "owner@example.com" });
      expect(viaSession.scopes).toEqual(roleCeiling("owner"));
      expect(viaSession.permissions).toEqual([]);
      expect(viaSession.csrfHash).toMatch(/^[0-9a-f]{64}$/);
      // how long a gateway may keep it: never past the session's end (nor its idle limit)
      expect(viaSession.validUntil).toBeInstanceOf(Date);
      expect(viaSession.validUntil!.getTime()).toBeGreaterThan(Date.now());
      expect(viaSession.validUntil!.getTime()).toBeLessThanOrEqual(grant.expiresAt!.getTime());

      const caller = {
        kind: CallerKind.User,
        id: viaSession.subjectId,
        sessionId: viaSession.credentialId,
        role: viaSession.role,
        scopes: viaSession.scopes,
      };
      const ctx = { ...base, caller };
      const created = await auth.createToken(
        { name: "ci", scopes: ["bundles:read"], expiresInSeconds: 0 },
        ctx,
      );
      const viaToken = await auth.authenticate({ token: created.token, kind: "bearer" }, base);
      expect(viaToken).toMatchObject({
        kind: "user",
        subjectId: viaSession.subjectId,
        credentialId: created.info?.id,
        scopes: ["bundles:read"],
        csrfHash: "",
      });
      // a token that never expires has no end; one that does, its expiry
      expect(viaToken.validUntil).toBeUndefined();
      const expiring = await auth.createToken({ name: "1h", scopes: [], expiresInSeconds: 3600 }, ctx);
      const viaExpiring = await auth.authenticate({ token: expiring.token, kind: "bearer" }, base);
      expect(viaExpiring.validUntil?.getTime()).toBe(expiring.info!.expiresAt!.getTime());

      // a credential presented as another kind is nobody
      await expect(
        auth.authenticate({ token: created.token, kind: "user_session" }, base),
      ).rejects.toMatchObject(refused);
      await expect(auth.authenticate({ token: session, kind: "bearer" }, base)).rejects.toMatchObject(
        refused,
      );
      await expect(
        auth.authenticate({ token: session, kind: "recipient_session" }, base),
      ).rejects.toMatchObject(refused);

      await auth.revokeToken({ id: created.info!.id }, ctx);
      await expect(auth.authenticate({ token: created.token, kind: "bearer" }, base)).rejects.toMatchObject(
        refused,
      );
      await auth.revokeSession({ id: viaSession.credentialId }, ctx);
      await expect(auth.authenticate({ token: session, kind: "user_session" }, base)).rejects.toMatchObject(
        refused,
      );
    }));
});
