import type { authV1 } from "@latchflow/proto";
import { newId, notFound, type RequestContext } from "@latchflow/runtime";
import type { EntityManager } from "@latchflow/runtime/db";
import { emitEvent as emit } from "@latchflow/runtime/db";
import { type AuthContext, callerSession } from "../context.js";
import { Session } from "../entities/index.js";
import { hashSecret, randomSecret } from "../secrets.js";

export interface OpenedSession {
  session: Session;
  token: string;
  csrfToken: string;
}

/** Creates a session row for a user or recipient inside the caller's transaction. */
export function openSession(
  em: EntityManager,
  auth: AuthContext,
  ctx: RequestContext,
  subject: { kind: "user" | "recipient"; id: string; tenant: string },
  deviceId: string | null = null,
): OpenedSession {
  const now = auth.now();
  const token = randomSecret();
  const csrfToken = randomSecret();
  const session = em.create(Session, {
    id: newId(now),
    tenant: subject.tenant,
    subjectKind: subject.kind,
    subjectId: subject.id,
    tokenHash: hashSecret(token),
    csrfHash: hashSecret(csrfToken),
    ip: (ctx.client?.ip ?? "").slice(0, 64),
    userAgent: (ctx.client?.userAgent ?? "").slice(0, 512),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + auth.config.sessions.maxMs),
    revokedAt: null,
    deviceId,
  });
  return { session, token, csrfToken };
}

/** A live session: not revoked, not past its absolute end, used within the idle timeout. */
export function sessionIsLive(
  s: Pick<Session, "revokedAt" | "expiresAt" | "lastSeenAt">,
  auth: AuthContext,
  now: Date,
): boolean {
  return (
    !s.revokedAt && s.expiresAt > now && now.getTime() - s.lastSeenAt.getTime() < auth.config.sessions.idleMs
  );
}

function toProto(s: Session, currentId: string): authV1.Session {
  return {
    id: s.id,
    ip: s.ip,
    userAgent: s.userAgent,
    createdAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    expiresAt: s.expiresAt,
    current: s.id === currentId,
  };
}

export function createSessionsApi(auth: AuthContext) {
  const revoke = async (ctx: RequestContext, filter: { id?: string; keepId?: string }) => {
    const me = callerSession(ctx);
    const now = auth.now();
    let revoked = 0;
    await auth.db.em().transactional(async (em) => {
      const sessions = await em.find(Session, {
        tenant: ctx.tenant,
        subjectKind: me.kind,
        subjectId: me.subjectId,
        revokedAt: null,
        ...(filter.id ? { id: filter.id } : {}),
      });
      for (const s of sessions) {
        if (filter.keepId && s.id === filter.keepId) continue;
        s.revokedAt = now;
        revoked++;
        await emit(
          em,
          ctx,
          "auth.session.revoked",
          { sessionId: s.id },
          {
            sessionId: s.id,
            subjectKind: s.subjectKind,
            subjectId: s.subjectId,
          },
        );
      }
    });
    auth.relay.nudge();
    return revoked;
  };

  return {
    async listSessions(
      _req: authV1.ListSessionsRequest,
      ctx: RequestContext,
    ): Promise<authV1.ListSessionsResponse> {
      const me = callerSession(ctx);
      const now = auth.now();
      const rows = await auth.db
        .em()
        .find(
          Session,
          { tenant: ctx.tenant, subjectKind: me.kind, subjectId: me.subjectId, revokedAt: null },
          { orderBy: { id: "desc" } },
        );
      return {
        sessions: rows.filter((s) => sessionIsLive(s, auth, now)).map((s) => toProto(s, me.sessionId)),
      };
    },

    async revokeSession(
      req: authV1.RevokeSessionRequest,
      ctx: RequestContext,
    ): Promise<authV1.RevokeSessionResponse> {
      const revoked = await revoke(ctx, { id: req.id || callerSession(ctx).sessionId });
      if (revoked === 0) throw notFound("Session not found", { sessionId: req.id });
      return { revoked };
    },

    async revokeAllSessions(
      req: authV1.RevokeAllSessionsRequest,
      ctx: RequestContext,
    ): Promise<authV1.RevokeSessionResponse> {
      const keepId = req.keepCurrent ? callerSession(ctx).sessionId : undefined;
      return { revoked: await revoke(ctx, keepId ? { keepId } : {}) };
    },
  };
}
