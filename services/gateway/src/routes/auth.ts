import type { authV1 } from "@latchflow/proto";
import { ALL_SCOPES, badRequest, decide, subjectOf } from "@latchflow/runtime";
import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { clearSessionCookies, setSessionCookies } from "../cookies.js";
import { defineRoute } from "../route.js";
import { ErrorResponse, errorResponses, IdParams } from "../schemas.js";

export interface AuthRouteOptions {
  /** base URL for links in emails (configured, or the bound address) */
  linkBase: () => string;
  /** send cookies with Secure (everywhere but development) */
  secureCookies: boolean;
  /** where the browser lands after an admin sign-in without `next` */
  adminHome: string;
}

const Email = z.string().trim().min(3).max(320);
const Accepted = z.object({ status: z.literal("sent") }).meta({ id: "SignInStarted" });
const rateLimited = { 429: { description: "Too many attempts; see Retry-After", schema: ErrorResponse } };

const Session = z
  .object({
    id: z.string(),
    ip: z.string(),
    userAgent: z.string(),
    createdAt: z.iso.datetime(),
    lastSeenAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    current: z.boolean(),
  })
  .meta({ id: "Session" });

const Me = z
  .object({
    kind: z.enum(["user", "recipient"]),
    id: z.string(),
    email: z.string(),
    role: z.string(),
    scopes: z.array(z.string()),
    permissions: z.array(z.record(z.string(), z.string())),
    effective: z.record(z.string(), z.union([z.literal("all"), z.literal("none"), z.array(z.string())])),
  })
  .meta({ id: "Me" });

function sessionToRest(s: authV1.Session) {
  return {
    id: s.id,
    ip: s.ip,
    userAgent: s.userAgent,
    createdAt: s.createdAt?.toISOString(),
    lastSeenAt: s.lastSeenAt?.toISOString(),
    expiresAt: s.expiresAt?.toISOString(),
    current: s.current,
  };
}

/** What each scope means for this identity: everything, nothing, or only the listed resources. */
function effectivePermissions(identity: authV1.Identity) {
  const subject = subjectOf(identity);
  const out: Record<string, "all" | "none" | string[]> = {};
  for (const action of ALL_SCOPES) {
    const d = decide(subject, { action });
    out[action] = !d.allowed ? "none" : (d.restrictTo ?? "all");
  }
  return out;
}

export function authRoutes(clients: GatewayClients, options: AuthRouteOptions) {
  const tag = "auth";
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/auth/admin/start",
      operationId: "startAdminSignIn",
      summary: "Email a single-use sign-in link (same answer for unknown emails)",
      tag,
      access: { kind: "public" },
      body: z
        .strictObject({ email: Email, next: z.string().max(500).optional() })
        .meta({ id: "StartAdminSignIn" }),
      responses: {
        202: { description: "Sent if the email belongs to a user", schema: Accepted },
        ...rateLimited,
        422: errorResponses[422],
      },
      handler: async ({ body, ctx }) => {
        await clients.auth.startAdminSignIn(
          { email: body.email, next: body.next ?? "", linkBase: options.linkBase() },
          ctx,
        );
        return { status: 202, body: { status: "sent" } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/auth/admin/callback",
      operationId: "completeAdminSignIn",
      summary: "Follow a sign-in link: sets the session cookie and redirects to the admin app",
      tag,
      access: { kind: "public" },
      query: z.strictObject({ token: z.string().min(1).max(200) }),
      responses: { 303: { description: "Signed in; redirect" }, 401: errorResponses[401], ...rateLimited },
      handler: async ({ query, ctx, koa }) => {
        const grant = await clients.auth.completeAdminSignIn({ token: query.token }, ctx);
        setSessionCookies(koa, "user", grant, options.secureCookies);
        return { status: 303, redirect: grant.next || options.adminHome };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/auth/recipient/start",
      operationId: "startRecipientSignIn",
      summary: "Email a 6-digit code to an enabled recipient (same answer otherwise)",
      tag,
      access: { kind: "public" },
      body: z.strictObject({ email: Email }).meta({ id: "StartRecipientSignIn" }),
      responses: {
        202: { description: "Sent if the email belongs to an enabled recipient", schema: Accepted },
        ...rateLimited,
      },
      handler: async ({ body, ctx }) => {
        await clients.auth.startRecipientSignIn({ email: body.email }, ctx);
        return { status: 202, body: { status: "sent" } };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/auth/recipient/verify",
      operationId: "verifyRecipientCode",
      summary: "Check the emailed code; sets the recipient session cookie",
      tag,
      access: { kind: "public" },
      body: z
        .strictObject({ email: Email, code: z.string().trim().min(1).max(12) })
        .meta({ id: "VerifyRecipientCode" }),
      responses: {
        200: {
          description: "Signed in",
          schema: z.object({ recipient: z.object({ id: z.string(), email: z.string() }) }),
        },
        401: errorResponses[401],
        ...rateLimited,
      },
      handler: async ({ body, ctx, koa }) => {
        const grant = await clients.auth.verifyRecipientCode({ email: body.email, code: body.code }, ctx);
        setSessionCookies(koa, "recipient", grant, options.secureCookies);
        return {
          status: 200,
          body: { recipient: { id: grant.identity?.subjectId, email: grant.identity?.email } },
        };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/auth/logout",
      operationId: "logout",
      summary: "End the current browser session (user, else recipient)",
      tag,
      access: { kind: "signed-in" },
      responses: { 204: { description: "Signed out" }, ...errorResponses },
      handler: async ({ ctx, identity, koa }) => {
        if (!ctx.caller?.sessionId)
          throw badRequest("Logout ends browser sessions; revoke API tokens at /api/v1/tokens");
        await clients.auth.revokeSession({ id: ctx.caller.sessionId }, ctx);
        clearSessionCookies(
          koa,
          identity?.kind === "recipient" ? "recipient" : "user",
          options.secureCookies,
        );
        return { status: 204 };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/auth/me",
      operationId: "getMe",
      summary: "The caller's identity and effective permissions (for role-aware UIs)",
      tag,
      access: { kind: "signed-in" },
      responses: { 200: { description: "Identity", schema: Me }, 401: errorResponses[401] },
      handler: async ({ identity }) => {
        const id = identity!;
        return {
          status: 200,
          body: {
            kind: id.kind,
            id: id.subjectId,
            email: id.email,
            role: id.role,
            scopes: id.scopes,
            permissions: id.permissions.map(({ createdAt: _c, userId: _u, ...p }) => p),
            effective: id.kind === "user" ? effectivePermissions(id) : {},
          },
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/auth/sessions",
      operationId: "listSessions",
      summary: "The caller's live browser sessions",
      tag,
      access: { kind: "signed-in" },
      responses: {
        200: { description: "Sessions", schema: z.object({ items: z.array(Session) }) },
        ...errorResponses,
      },
      handler: async ({ ctx }) => ({
        status: 200,
        body: { items: (await clients.auth.listSessions({}, ctx)).sessions.map(sessionToRest) },
      }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/auth/sessions/:id",
      operationId: "revokeSession",
      summary: "Sign out one of the caller's sessions",
      tag,
      access: { kind: "signed-in" },
      params: IdParams,
      responses: {
        204: { description: "Revoked" },
        404: { description: "No such session", schema: ErrorResponse },
        ...errorResponses,
      },
      handler: async ({ params, ctx }) => {
        await clients.auth.revokeSession({ id: params.id }, ctx);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/auth/sessions",
      operationId: "revokeAllSessions",
      summary: "Sign out every session of the caller (optionally keeping this one)",
      tag,
      access: { kind: "signed-in" },
      query: z.strictObject({ keepCurrent: z.enum(["true", "false"]).optional() }),
      responses: {
        200: { description: "Revoked", schema: z.object({ revoked: z.number() }) },
        ...errorResponses,
      },
      handler: async ({ query, ctx }) => ({
        status: 200,
        body: await clients.auth.revokeAllSessions({ keepCurrent: query.keepCurrent === "true" }, ctx),
      }),
    }),
  ];
}
