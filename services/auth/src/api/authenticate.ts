import type { authV1 } from "@latchflow/proto";
import { badRequest, type RequestContext, roleCeiling, unauthenticated } from "@latchflow/runtime";
import { type AuthContext, SETTINGS } from "../context.js";
import { ApiToken, Permission, Recipient, RecipientDevice, Session, User } from "../entities/index.js";
import { authEndpointLimits, LIMITS } from "../rate-limit.js";
import { hashSecret } from "../secrets.js";
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

  const userIdentity = async (user: User, credentialId: string, scopes: string[], csrfHash: string) => {
    const permissions = await auth.db.em().find(Permission, { userId: user.id, tenant: user.tenant });
    const identity: authV1.Identity = {
      tenant: user.tenant,
      kind: "user",
      subjectId: user.id,
      email: user.email,
      role: user.role,
      credentialId,
      scopes,
      permissions: permissions.map(permissionToProto),
      csrfHash,
    };
    return identity;
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
        const token = await em.findOne(ApiToken, { tokenHash: hash });
        if (!token || token.revokedAt || (token.expiresAt && token.expiresAt <= now)) return fail(ctx);
        const user = await em.findOne(User, { id: token.userId, tenant: token.tenant });
        if (!user?.active) return fail(ctx);
        if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > SETTINGS.sessionTouchMs) {
          await em.nativeUpdate(ApiToken, { id: token.id }, { lastUsedAt: now });
        }
        const ceiling = new Set(roleCeiling(user.role));
        const scopes = token.scopes.split(" ").filter((s) => ceiling.has(s));
        return userIdentity(user, token.id, scopes, "");
      }

      if (req.kind !== "user_session" && req.kind !== "recipient_session") {
        throw badRequest("kind must be bearer, user_session or recipient_session");
      }
      const subjectKind = req.kind === "user_session" ? "user" : "recipient";
      const session = await em.findOne(Session, { tokenHash: hash, subjectKind });
      if (!session || !sessionIsLive(session, auth, now)) return fail(ctx);
      if (now.getTime() - session.lastSeenAt.getTime() > SETTINGS.sessionTouchMs) {
        await em.nativeUpdate(Session, { id: session.id }, { lastSeenAt: now });
        if (session.deviceId)
          await em.nativeUpdate(RecipientDevice, { id: session.deviceId }, { lastSeenAt: now });
      }
      if (subjectKind === "user") {
        const user = await em.findOne(User, { id: session.subjectId, tenant: session.tenant });
        if (!user?.active) return fail(ctx);
        return userIdentity(user, session.id, roleCeiling(user.role), session.csrfHash);
      }
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
      };
    },
  };
}
