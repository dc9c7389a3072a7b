import { LatchflowError, Scope } from "@latchflow/runtime";
import type { Context } from "koa";
import { z } from "zod";
import { authenticate } from "../authenticate.js";
import type { GatewayClients } from "../clients.js";
import { COOKIES, readCookie } from "../cookies.js";
import { defineRoute } from "../route.js";
import { checkEmailPage, decidedPage, decidePage, enterCodePage, signInPage } from "./device-page.js";

const GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

/** RFC 6749 §5.2 error body: the device token endpoint answers in OAuth's shape, not Latchflow's. */
const oauthError = (error: string, description: string) => ({
  status: 400,
  body: { error, error_description: description },
});

const DeviceCode = z
  .object({ client_id: z.string().max(100).optional(), scope: z.string().max(1000).optional() })
  .meta({ id: "DeviceCodeRequest" });
const DeviceToken = z
  .object({
    grant_type: z.string().max(200),
    device_code: z.string().max(200),
    client_id: z.string().max(100).optional(),
  })
  .meta({ id: "DeviceTokenRequest" });

export function deviceRoutes(clients: GatewayClients, linkBase: () => string) {
  const tag = "device";
  /** The signed-in admin of this browser, or undefined (pages do not fail on a missing session). */
  const browserUser = async (koa: Context) => {
    if (!readCookie(koa, COOKIES.user.session)) return undefined;
    try {
      return await authenticate(koa, clients, { kind: "any-user" });
    } catch (err) {
      if (err instanceof LatchflowError && err.code === "unauthenticated") return undefined;
      throw err;
    }
  };

  return [
    defineRoute({
      method: "post",
      path: "/api/v1/auth/device/code",
      operationId: "deviceAuthorization",
      summary: "RFC 8628 device authorization request (form or JSON)",
      tag,
      access: { kind: "public" },
      bodyTypes: ["form", "json"],
      body: DeviceCode,
      responses: {
        200: { description: "Codes for the device and the user" },
        429: { description: "Too many requests" },
      },
      handler: async ({ body, ctx }) => {
        const scopes = (body.scope ?? "").split(/\s+/).filter(Boolean);
        const d = await clients.auth.startDeviceAuthorization(
          { clientId: body.client_id ?? "", scopes, linkBase: linkBase() },
          ctx,
        );
        return {
          status: 200,
          body: {
            device_code: d.deviceCode,
            user_code: d.userCode,
            verification_uri: d.verificationUri,
            verification_uri_complete: d.verificationUriComplete,
            expires_in: d.expiresIn,
            interval: d.interval,
          },
        };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/auth/device/token",
      operationId: "deviceToken",
      summary: "RFC 8628 device access token request; errors in RFC 6749 shape",
      tag,
      access: { kind: "public" },
      bodyTypes: ["form", "json"],
      body: DeviceToken,
      responses: {
        200: { description: "The access token" },
        400: { description: "authorization_pending, slow_down, access_denied, expired_token, …" },
      },
      handler: async ({ body, ctx }) => {
        if (body.grant_type !== GRANT_TYPE)
          return oauthError("unsupported_grant_type", `grant_type must be ${GRANT_TYPE}`);
        let res: Awaited<ReturnType<typeof clients.auth.pollDeviceToken>>;
        try {
          res = await clients.auth.pollDeviceToken({ deviceCode: body.device_code }, ctx);
        } catch (err) {
          if (err instanceof LatchflowError && err.code === "validation_failed")
            return oauthError("invalid_grant", "Unknown device_code");
          throw err;
        }
        if (res.outcome !== "granted") {
          return {
            status: 400,
            body: { error: res.outcome, ...(res.outcome === "slow_down" ? { interval: res.interval } : {}) },
          };
        }
        return {
          status: 200,
          body: { access_token: res.accessToken, token_type: "Bearer", scope: res.scopes.join(" ") },
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/device",
      operationId: "devicePage",
      summary: "Device approval page (HTML)",
      tag,
      access: { kind: "public" },
      query: z.object({ user_code: z.string().max(20).optional() }),
      responses: { 200: { description: "HTML" } },
      handler: async ({ query, koa }) => {
        koa.set("Content-Security-Policy", PAGE_CSP);
        const me = await browserUser(koa);
        if (!me) return { status: 200, html: signInPage(query.user_code ?? "") };
        if (!query.user_code) return { status: 200, html: enterCodePage() };
        try {
          const info = await clients.auth.getDeviceAuthorization({ userCode: query.user_code }, me.ctx);
          if (info.status !== "pending")
            return { status: 200, html: enterCodePage(`This code is ${info.status}.`) };
          // the form echoes the session's CSRF token (read from its cookie) as a field: forms cannot send headers
          const csrf = readCookie(koa, COOKIES.user.csrf) ?? "";
          return { status: 200, html: decidePage({ ...info, email: me.identity?.email ?? "" }, csrf) };
        } catch (err) {
          if (err instanceof LatchflowError && err.code === "not_found") {
            return { status: 200, html: enterCodePage("Unknown or expired code.") };
          }
          throw err;
        }
      },
    }),
    defineRoute({
      method: "post",
      path: "/device/sign-in",
      operationId: "devicePageSignIn",
      summary: "Device page: email a sign-in link that returns to the page",
      tag,
      access: { kind: "public" },
      bodyTypes: ["form"],
      body: z.object({ email: z.string().trim().min(3).max(320), user_code: z.string().max(20).optional() }),
      responses: { 200: { description: "HTML" } },
      handler: async ({ body, ctx, koa }) => {
        koa.set("Content-Security-Policy", PAGE_CSP);
        const next = `/device${body.user_code ? `?user_code=${encodeURIComponent(body.user_code)}` : ""}`;
        await clients.auth.startAdminSignIn({ email: body.email, next, linkBase: linkBase() }, ctx);
        return { status: 200, html: checkEmailPage() };
      },
    }),
    defineRoute({
      method: "post",
      path: "/device",
      operationId: "devicePageDecide",
      summary:
        "Device page: approve or deny (session cookie + csrf_token form field, or a bearer token with tokens:write)",
      tag,
      access: { kind: "user", scope: Scope.TokensWrite },
      bodyTypes: ["form"],
      body: z.object({
        user_code: z.string().max(20),
        decision: z.enum(["approve", "deny"]),
        csrf_token: z.string().max(200),
      }),
      responses: { 200: { description: "HTML" } },
      handler: async ({ body, ctx, koa }) => {
        koa.set("Content-Security-Policy", PAGE_CSP);
        await clients.auth.decideDeviceAuthorization(
          { userCode: body.user_code, approve: body.decision === "approve" },
          ctx,
        );
        return { status: 200, html: decidedPage(body.decision === "approve") };
      },
    }),
  ];
}
