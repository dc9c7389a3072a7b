import type { authV1 } from "@latchflow/proto";
import { badRequest, type RequestContext, roleCeiling, unauthenticated } from "@latchflow/runtime";
import { type AuthContext, SETTINGS } from "../context.js";
import { ApiToken, type Permission, Recipient, RecipientDevice, Session } from "../entities/index.js";
import { authEndpointLimits, LIMITS } from "../rate-limit.js";
import { hashSecret } from "../secrets.js";
import { findUserCredential, type UserCredential } from "./identity-rows.js";
import { sessionIsLive } from "./sessions.js";

const MAX_CREDENTIAL_LENGTH = 512;
const INVALID = "Invalid or expired credentials";

export function permissionToProto(p: Permission): authV1.Permission {
  return {
    id: p.id,
    userId: p.userId,
    action: p.action,
    resourceType: p.resourceType,
    resourceId: p.resourceId,
    effect: p.effect,
    createdAt: p.createdAt,
  };
}

export function createAuthenticateApi(auth: AuthContext) {
  const fail = async (ctx: RequestContext): Promise<never> => {
    await auth.limiter.hit(LIMITS.failedAuthPerIp, ctx.client?.ip, auth.now());
    throw unauthenticated(INVALID);
  };

  /** When a session stops being live if not used again: its end, or its idle limit if that comes first. */
  const sessionValidUntil = (s: { expiresAt: Date; lastSeenAt: Date }): Date =>
    new Date(Math.min(s.expiresAt.getTime(), s.lastSeenAt.getTime() + auth.config.sessions.idleMs));

  const userIdentity = (
    found: UserCredential,
    scopes: string[],
    validUntil: Date | undefined,
  ): authV1.Identity => ({
    tenant: found.user.tenant,
    kind: "user",
    subjectId: found.user.id,
    email: found.user.email,
    role: found.user.role,
    credentialId: found.credential.id,
    scopes,
    permissions: found.permissions,
    csrfHash: found.credential.csrfHash,
    validUntil,
  });

  /** A session's credential as {@link sessionIsLive} reads it (a session always has an expiry). */
  const liveness = (c: UserCredential["credential"]) => ({
    revokedAt: c.revokedAt,
    expiresAt: c.expiresAt ?? new Date(0),
    lastSeenAt: c.lastUsedAt ?? new Date(0),
  });

  /** Records that a live session was seen (at most once per touch interval). */
  const touchSession = async (
    s: { id: string; lastUsedAt: Date | null; deviceId?: string | null },
    now: Date,
  ): Promise<void> => {
    if (s.lastUsedAt && now.getTime() - s.lastUsedAt.getTime() <= SETTINGS.sessionTouchMs) return;
    const em = auth.db.em();
    await em.nativeUpdate(Session, { id: s.id }, { lastSeenAt: now });
    if (s.deviceId) await em.nativeUpdate(RecipientDevice, { id: s.deviceId }, { lastSeenAt: now });
  };

  const endpointLimits = authEndpointLimits(auth.config.authRateLimit);

  return {
    /** One request to an auth endpoint: counted per IP and per identity (caller id), shared by replicas. */
    async checkAuthRateLimit(
      _req: authV1.CheckAuthRateLimitRequest,
      ctx: RequestContext,
    ): Promise<authV1.CheckAuthRateLimitResponse> {
      const now = auth.now();
      await auth.limiter.hit(endpointLimits.perIp, ctx.client?.ip, now);
      await auth.limiter.hit(
        endpointLimits.perIdentity,
        ctx.caller ? `${ctx.caller.kind}:${ctx.caller.id}` : undefined,
        now,
      );
      return {};
    },

    async authenticate(req: authV1.AuthenticateRequest, ctx: RequestContext): Promise<authV1.Identity> {
      const presented = req.token.trim();
      if (!presented || presented.length > MAX_CREDENTIAL_LENGTH) return fail(ctx);
      const em = auth.db.em();
      const now = auth.now();
      const hash = hashSecret(presented);

      if (req.kind === "bearer") {
        const found = await findUserCredential(auth.db, "token", hash);
        const token = found?.credential;
        if (!found || !token || token.revokedAt || (token.expiresAt && token.expiresAt <= now))
          return fail(ctx);
        if (!found.user.active) return fail(ctx);
        if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > SETTINGS.sessionTouchMs) {
          await em.nativeUpdate(ApiToken, { id: token.id }, { lastUsedAt: now });
        }
        const ceiling = new Set(roleCeiling(found.user.role));
        return userIdentity(
          found,
          token.scopes.split(" ").filter((s) => ceiling.has(s)),
          token.expiresAt ?? undefined,
        );
      }

      if (req.kind !== "user_session" && req.kind !== "recipient_session") {
        throw badRequest("kind must be bearer, user_session or recipient_session");
      }
      if (req.kind === "user_session") {
        const found = await findUserCredential(auth.db, "user_session", hash);
        if (!found || !sessionIsLive(liveness(found.credential), auth, now)) return fail(ctx);
        await touchSession(found.credential, now);
        if (!found.user.active) return fail(ctx);
        return userIdentity(
          found,
          roleCeiling(found.user.role),
          sessionValidUntil(liveness(found.credential)),
        );
      }
      const session = await em.findOne(Session, { tokenHash: hash, subjectKind: "recipient" });
      if (!session || !sessionIsLive(session, auth, now)) return fail(ctx);
      await touchSession({ ...session, lastUsedAt: session.lastSeenAt }, now);
      const recipient = await em.findOne(Recipient, { id: session.subjectId, tenant: session.tenant });
      if (!recipient?.enabled) return fail(ctx);
      return {
        tenant: recipient.tenant,
        kind: "recipient",
        subjectId: recipient.id,
        email: recipient.email,
        role: "recipient",
        credentialId: session.id,
        scopes: [],
        permissions: [],
        csrfHash: session.csrfHash,
        validUntil: sessionValidUntil(session),
      };
    },
  };
}
