import { z } from "zod";
import { bodyErrorResponses, ErrorBody, errorResponses, IdParams, rateLimitResponses } from "../common.js";
import { defineOperation } from "../operation.js";

// Sign-in flows and the caller's own sessions. Every operation under /api/v1/auth is rate-limited per IP and per
// identity; the sign-in steps have stricter limits of their own.

const tag = "auth";
const Email = z.string().trim().min(3).max(320);

export const SignInStarted = z.object({ status: z.literal("sent") }).meta({ id: "SignInStarted" });
export type SignInStarted = z.output<typeof SignInStarted>;

export const Session = z
  .object({
    id: z.string(),
    ip: z.string(),
    userAgent: z.string(),
    createdAt: z.iso.datetime(),
    lastSeenAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    current: z.boolean().meta({ description: "The session this request came with" }),
  })
  .meta({ id: "Session" });
export type Session = z.output<typeof Session>;

export const Me = z
  .object({
    kind: z.enum(["user", "recipient"]),
    id: z.string(),
    email: z.string(),
    role: z.string().meta({ description: "owner | admin | executor | recipient" }),
    scopes: z.array(z.string()),
    permissions: z.array(
      z.object({
        id: z.string(),
        action: z.string(),
        resourceType: z.string(),
        resourceId: z.string(),
        effect: z.string(),
      }),
    ),
    effective: z
      .record(z.string(), z.union([z.literal("all"), z.literal("none"), z.array(z.string())]))
      .meta({
        description: "Per scope: every resource, none, or only the listed ids (empty for recipients)",
      }),
  })
  .meta({ id: "Me" });
export type Me = z.output<typeof Me>;

export const RecipientSignedIn = z
  .object({ recipient: z.object({ id: z.string(), email: z.string() }) })
  .meta({ id: "RecipientSignedIn" });
export type RecipientSignedIn = z.output<typeof RecipientSignedIn>;

/** Errors of the public sign-in steps (no credentials involved). */
const publicErrors = {
  400: errorResponses[400],
  422: errorResponses[422],
  ...bodyErrorResponses,
  ...rateLimitResponses,
} as const;

export const startAdminSignIn = defineOperation({
  method: "post",
  path: "/api/v1/auth/admin/start",
  operationId: "startAdminSignIn",
  summary: "Email a single-use sign-in link (same answer for unknown emails)",
  tag,
  access: { kind: "public" },
  rateLimited: true,
  body: z
    .strictObject({ email: Email, next: z.string().max(500).optional() })
    .meta({ id: "StartAdminSignIn" }),
  responses: {
    202: { description: "Sent if the email belongs to a user", schema: SignInStarted },
    ...publicErrors,
  },
});

export const completeAdminSignIn = defineOperation({
  method: "get",
  path: "/api/v1/auth/admin/callback",
  operationId: "completeAdminSignIn",
  summary: "Follow a sign-in link: sets the session cookie and redirects to the admin app",
  tag,
  access: { kind: "public" },
  rateLimited: true,
  query: z.strictObject({ token: z.string().min(1).max(200) }),
  responses: {
    303: { description: "Signed in; redirect to `next` or the admin app", redirect: true },
    401: { description: "The link is invalid, used or expired", schema: ErrorBody },
    422: errorResponses[422],
    ...rateLimitResponses,
  },
});

export const startRecipientSignIn = defineOperation({
  method: "post",
  path: "/api/v1/auth/recipient/start",
  operationId: "startRecipientSignIn",
  summary: "Email a 6-digit code to an enabled recipient (same answer otherwise)",
  tag,
  access: { kind: "public" },
  rateLimited: true,
  body: z.strictObject({ email: Email }).meta({ id: "StartRecipientSignIn" }),
  responses: {
    202: { description: "Sent if the email belongs to an enabled recipient", schema: SignInStarted },
    ...publicErrors,
  },
});

export const verifyRecipientCode = defineOperation({
  method: "post",
  path: "/api/v1/auth/recipient/verify",
  operationId: "verifyRecipientCode",
  summary: "Check the emailed code; sets the recipient session cookie",
  tag,
  access: { kind: "public" },
  rateLimited: true,
  body: z
    .strictObject({ email: Email, code: z.string().trim().min(1).max(12) })
    .meta({ id: "VerifyRecipientCode" }),
  responses: {
    200: { description: "Signed in", schema: RecipientSignedIn },
    401: { description: "Invalid or expired code", schema: ErrorBody },
    ...publicErrors,
  },
});

export const logout = defineOperation({
  method: "post",
  path: "/api/v1/auth/logout",
  operationId: "logout",
  summary: "End the current browser session (user, else recipient)",
  tag,
  access: { kind: "signed-in" },
  rateLimited: true,
  responses: {
    204: { description: "Signed out" },
    ...errorResponses,
    400: { description: "Not a browser session (revoke API tokens at /api/v1/tokens)", schema: ErrorBody },
    ...rateLimitResponses,
  },
});

export const getMe = defineOperation({
  method: "get",
  path: "/api/v1/auth/me",
  operationId: "getMe",
  summary: "The caller's identity and effective permissions (for role-aware UIs)",
  tag,
  access: { kind: "signed-in" },
  rateLimited: true,
  responses: {
    200: { description: "Identity", schema: Me },
    401: errorResponses[401],
    ...rateLimitResponses,
  },
});

export const listSessions = defineOperation({
  method: "get",
  path: "/api/v1/auth/sessions",
  operationId: "listSessions",
  summary: "The caller's live browser sessions",
  tag,
  access: { kind: "signed-in" },
  rateLimited: true,
  responses: {
    200: { description: "Sessions", schema: z.object({ items: z.array(Session) }) },
    ...errorResponses,
    ...rateLimitResponses,
  },
});

export const revokeSession = defineOperation({
  method: "delete",
  path: "/api/v1/auth/sessions/:id",
  operationId: "revokeSession",
  summary: "Sign out one of the caller's sessions",
  tag,
  access: { kind: "signed-in" },
  rateLimited: true,
  params: IdParams,
  responses: {
    204: { description: "Revoked" },
    404: { description: "No such session of the caller", schema: ErrorBody },
    ...errorResponses,
    ...rateLimitResponses,
  },
});

export const revokeAllSessions = defineOperation({
  method: "delete",
  path: "/api/v1/auth/sessions",
  operationId: "revokeAllSessions",
  summary: "Sign out every session of the caller (optionally keeping this one)",
  tag,
  access: { kind: "signed-in" },
  rateLimited: true,
  query: z.strictObject({ keepCurrent: z.enum(["true", "false"]).optional() }),
  responses: {
    200: {
      description: "Revoked",
      schema: z.object({ revoked: z.number().int() }).meta({ id: "SessionsRevoked" }),
    },
    ...errorResponses,
    ...rateLimitResponses,
  },
});
