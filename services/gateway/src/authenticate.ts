import { createHash, timingSafeEqual } from "node:crypto";
import type { Access } from "@latchflow/api";
import type { authV1 } from "@latchflow/proto";
import {
  type Caller,
  CallerKind,
  DEFAULT_TENANT,
  ErrorCode,
  isLatchflowError,
  permissionDenied,
  type RequestContext,
  unauthenticated,
} from "@latchflow/runtime";
import type { Context } from "koa";
import { markAuthFailure } from "./auth-failures.js";
import type { GatewayClients } from "./clients.js";
import { COOKIES, readCookie, type SessionKind } from "./cookies.js";

/** Who may call a route. */
export type { Access };

export interface Authenticated {
  ctx: RequestContext;
  identity?: authV1.Identity;
  /** how the caller proved who they are */
  via?: "bearer" | SessionKind;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function baseContext(koa: Context): RequestContext {
  const userAgent = koa.get("user-agent").slice(0, 512);
  return {
    requestId: String(koa.state.requestId),
    tenant: DEFAULT_TENANT,
    client: { ...(koa.ip ? { ip: koa.ip.slice(0, 64) } : {}), ...(userAgent ? { userAgent } : {}) },
  };
}

function credential(
  koa: Context,
  access: Access,
): { kind: authV1.AuthenticateRequest["kind"]; token: string; via: Authenticated["via"] } {
  const header = koa.get("authorization");
  const wantsUser = access.kind !== "recipient";
  const wantsRecipient = access.kind === "recipient" || access.kind === "signed-in";
  if (header && wantsUser) {
    const match = BEARER.exec(header);
    if (!match?.[1]) {
      markAuthFailure(koa, "malformed_authorization");
      throw unauthenticated("Authorization header must be Bearer <token>");
    }
    return { kind: "bearer", token: match[1], via: "bearer" };
  }
  const userCookie = wantsUser ? readCookie(koa, COOKIES.user.session) : undefined;
  if (userCookie) return { kind: "user_session", token: userCookie, via: "user" };
  const recipientCookie = wantsRecipient ? readCookie(koa, COOKIES.recipient.session) : undefined;
  if (recipientCookie) return { kind: "recipient_session", token: recipientCookie, via: "recipient" };
  markAuthFailure(koa, "missing_credentials");
  throw unauthenticated(
    access.kind === "recipient"
      ? "Sign in to the portal first"
      : "Missing Authorization: Bearer <token> header or session",
  );
}

/**
 * CSRF protection for cookie-authenticated mutations: the request must echo the session's CSRF token (from
 * the readable `lf_csrf` / `lf_recipient_csrf` cookie) in `X-CSRF-Token` (HTML forms: a `csrf_token` field);
 * its hash must match the session's.
 * Bearer-token requests are exempt (a browser never attaches them by itself).
 */
function checkCsrf(koa: Context, identity: authV1.Identity): void {
  const form = koa.is("application/x-www-form-urlencoded")
    ? (koa.request as { body?: { csrf_token?: unknown } }).body
    : undefined;
  const presented = koa.get("x-csrf-token") || (typeof form?.csrf_token === "string" ? form.csrf_token : "");
  const expected = Buffer.from(identity.csrfHash, "hex");
  const actual = createHash("sha256").update(presented, "utf8").digest();
  if (!presented || expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw permissionDenied("Missing or invalid CSRF token (send the X-CSRF-Token header)", {
      reason: "csrf",
    });
  }
}

function callerOf(identity: authV1.Identity, via: Authenticated["via"]): Caller {
  if (identity.kind === "recipient")
    return { kind: CallerKind.Recipient, id: identity.subjectId, sessionId: identity.credentialId };
  const base = { role: identity.role, scopes: identity.scopes };
  if (via === "bearer")
    return { kind: CallerKind.Token, id: identity.credentialId, userId: identity.subjectId, ...base };
  return { kind: CallerKind.User, id: identity.subjectId, sessionId: identity.credentialId, ...base };
}

/** Resolves the caller of a request through the auth service's gRPC API. */
export async function authenticate(
  koa: Context,
  clients: GatewayClients,
  access: Access,
): Promise<Authenticated> {
  const ctx = baseContext(koa);
  if (access.kind === "public") return { ctx };
  const cred = credential(koa, access);
  const identity = await clients.auth
    .authenticate({ token: cred.token, kind: cred.kind }, ctx)
    .catch((err: unknown) => {
      if (isLatchflowError(err) && err.code === ErrorCode.Unauthenticated) {
        markAuthFailure(koa, "invalid_credentials");
      }
      throw err;
    });
  if (cred.via !== "bearer" && !SAFE_METHODS.has(koa.method)) checkCsrf(koa, identity);
  return {
    ctx: { ...ctx, tenant: identity.tenant, caller: callerOf(identity, cred.via) },
    identity,
    via: cred.via,
  };
}
