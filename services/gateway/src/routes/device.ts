import { operations, type schemas } from "@latchflow/api";
import type { authV1 } from "@latchflow/proto";
import { LatchflowError } from "@latchflow/runtime";
import type { Context } from "koa";
import { authenticate } from "../authenticate.js";
import type { GatewayClients } from "../clients.js";
import { COOKIES, readCookie } from "../cookies.js";
import { implement } from "../route.js";
import { checkEmailPage, decidedPage, decidePage, enterCodePage, signInPage } from "./device-page.js";

const GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

/** RFC 6749 §5.2 error body: the device token endpoint answers in OAuth's shape, not Latchflow's. */
const oauthError = (error: schemas.DeviceTokenError["error"], description: string) => {
  const body: schemas.DeviceTokenError = { error, error_description: description };
  return { status: 400, body };
};

function deviceCodeToRest(d: authV1.DeviceAuthorization): schemas.DeviceCode {
  return {
    device_code: d.deviceCode,
    user_code: d.userCode,
    verification_uri: d.verificationUri,
    verification_uri_complete: d.verificationUriComplete,
    expires_in: d.expiresIn,
    interval: d.interval,
  };
}

/** No token yet: the poll's outcome in OAuth's shape (slow_down carries the new interval). */
function pendingToRest(res: authV1.PollDeviceTokenResponse): schemas.DeviceTokenError {
  // the auth service answers one of RFC 8628's outcomes (proto: outcome)
  const error = res.outcome as schemas.DeviceTokenError["error"];
  return { error, ...(error === "slow_down" ? { interval: res.interval } : {}) };
}

export function deviceRoutes(clients: GatewayClients, linkBase: () => string) {
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
    implement(operations.startDeviceAuthorization, async ({ body, ctx }) => {
      const scopes = (body.scope ?? "").split(/\s+/).filter(Boolean);
      const d = await clients.auth.startDeviceAuthorization(
        { clientId: body.client_id ?? "", scopes, linkBase: linkBase() },
        ctx,
      );
      return { status: 200, body: deviceCodeToRest(d) };
    }),
    implement(operations.pollDeviceToken, async ({ body, ctx }) => {
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
      if (res.outcome !== "granted") return { status: 400, body: pendingToRest(res) };
      const token: schemas.DeviceToken = {
        access_token: res.accessToken,
        token_type: "Bearer",
        scope: res.scopes.join(" "),
      };
      return { status: 200, body: token };
    }),
    implement(operations.showDevicePage, async ({ query, koa }) => {
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
    }),
    implement(operations.startDevicePageSignIn, async ({ body, ctx, koa }) => {
      koa.set("Content-Security-Policy", PAGE_CSP);
      const next = `/device${body.user_code ? `?user_code=${encodeURIComponent(body.user_code)}` : ""}`;
      await clients.auth.startAdminSignIn({ email: body.email, next, linkBase: linkBase() }, ctx);
      return { status: 200, html: checkEmailPage() };
    }),
    implement(operations.decideDevicePage, async ({ body, ctx, koa }) => {
      koa.set("Content-Security-Policy", PAGE_CSP);
      await clients.auth.decideDeviceAuthorization(
        { userCode: body.user_code, approve: body.decision === "approve" },
        ctx,
      );
      return { status: 200, html: decidedPage(body.decision === "approve") };
    }),
  ];
}
