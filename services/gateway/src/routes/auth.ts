import { operations, type schemas } from "@latchflow/api";
import type { authV1 } from "@latchflow/proto";
import { accessOf, badRequest, decideEveryScope, subjectOf } from "@latchflow/runtime";
import type { GatewayClients } from "../clients.js";
import { clearSessionCookies, setSessionCookies } from "../cookies.js";
import { keepDeviceId, readDeviceId } from "../device-cookie.js";
import { implement } from "../route.js";

export interface AuthRouteOptions {
  /** base URL for links in emails (configured, or the bound address) */
  linkBase: () => string;
  /** send cookies with Secure (everywhere but development) */
  secureCookies: boolean;
  /** where the browser lands after an admin sign-in without `next` */
  adminHome: string;
}

const iso = (d: Date | undefined) => (d ?? new Date(0)).toISOString();

function sessionToRest(s: authV1.Session): schemas.Session {
  return {
    id: s.id,
    ip: s.ip,
    userAgent: s.userAgent,
    createdAt: iso(s.createdAt),
    lastSeenAt: iso(s.lastSeenAt),
    expiresAt: iso(s.expiresAt),
    current: s.current,
  };
}

function meToRest(id: authV1.Identity): schemas.Me {
  return {
    kind: id.kind === "recipient" ? "recipient" : "user",
    id: id.subjectId,
    email: id.email,
    role: id.role,
    scopes: id.scopes,
    permissions: id.permissions.map(({ createdAt: _c, userId: _u, ...p }) => p),
    effective: id.kind === "user" ? effectivePermissions(id) : {},
  };
}

/** What each scope means for this identity: everything, nothing, or only the listed resources. */
function effectivePermissions(identity: authV1.Identity): schemas.Me["effective"] {
  return Object.fromEntries(
    decideEveryScope(subjectOf(identity)).map(({ action, decision }) => [action, accessOf(decision)]),
  );
}

export function authRoutes(clients: GatewayClients, options: AuthRouteOptions) {
  const sent: schemas.SignInStarted = { status: "sent" };
  return [
    implement(operations.startAdminSignIn, async ({ body, ctx }) => {
      await clients.auth.startAdminSignIn(
        { email: body.email, next: body.next ?? "", linkBase: options.linkBase() },
        ctx,
      );
      return { status: 202, body: sent };
    }),
    implement(operations.completeAdminSignIn, async ({ query, ctx, koa }) => {
      const grant = await clients.auth.completeAdminSignIn({ token: query.token }, ctx);
      setSessionCookies(koa, "user", grant, options.secureCookies);
      return { status: 303, redirect: grant.next || options.adminHome };
    }),
    implement(operations.startRecipientSignIn, async ({ body, ctx }) => {
      await clients.auth.startRecipientSignIn({ email: body.email }, ctx);
      return { status: 202, body: sent };
    }),
    implement(operations.verifyRecipientCode, async ({ body, ctx, koa }) => {
      const presented = readDeviceId(koa);
      const grant = await clients.auth.verifyRecipientCode(
        { email: body.email, code: body.code, deviceKey: presented },
        ctx,
      );
      setSessionCookies(koa, "recipient", grant, options.secureCookies);
      keepDeviceId(koa, presented, grant.deviceKey, options.secureCookies);
      const signedIn: schemas.RecipientSignedIn = {
        recipient: { id: grant.identity?.subjectId ?? "", email: grant.identity?.email ?? "" },
      };
      return { status: 200, body: signedIn };
    }),
    implement(operations.logout, async ({ ctx, identity, koa }) => {
      if (!ctx.caller?.sessionId)
        throw badRequest("Logout ends browser sessions; revoke API tokens at /api/v1/tokens");
      await clients.auth.revokeSession({ id: ctx.caller.sessionId }, ctx);
      clearSessionCookies(koa, identity?.kind === "recipient" ? "recipient" : "user", options.secureCookies);
      return { status: 204 };
    }),
    implement(operations.getMe, async ({ identity }) => ({ status: 200, body: meToRest(identity!) })),
    implement(operations.listSessions, async ({ ctx }) => ({
      status: 200,
      body: { items: (await clients.auth.listSessions({}, ctx)).sessions.map(sessionToRest) },
    })),
    implement(operations.revokeSession, async ({ params, ctx }) => {
      await clients.auth.revokeSession({ id: params.id }, ctx);
      return { status: 204 };
    }),
    implement(operations.revokeAllSessions, async ({ query, ctx }) => ({
      status: 200,
      body: {
        revoked: (await clients.auth.revokeAllSessions({ keepCurrent: query.keepCurrent === "true" }, ctx))
          .revoked,
      },
    })),
  ];
}
