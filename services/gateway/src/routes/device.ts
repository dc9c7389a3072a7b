import { operations, type schemas } from "@latchflow/api";
import type { authV1 } from "@latchflow/proto";
import { LatchflowError, notFound } from "@latchflow/runtime";
import type { GatewayClients } from "../clients.js";
import { implement } from "../route.js";

const GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";
/** The admin app's approval page (ADR 027): `/device`, the short address the CLI prints, redirects there. */
const ADMIN_DEVICE_PAGE = "/admin/device";

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

function infoToRest(info: authV1.DeviceAuthorizationInfo): schemas.DeviceAuthorization {
  return {
    userCode: info.userCode,
    clientId: info.clientId,
    scopes: info.scopes,
    // the auth service answers one of these (proto: status)
    status: info.status as schemas.DeviceAuthorization["status"],
    expiresAt: (info.expiresAt ?? new Date(0)).toISOString(),
  };
}

export function deviceRoutes(clients: GatewayClients, linkBase: () => string) {
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
    implement(operations.showDevicePage, async ({ query }) => {
      const code = query.user_code ? `?user_code=${encodeURIComponent(query.user_code)}` : "";
      return { status: 302, redirect: `${ADMIN_DEVICE_PAGE}${code}` };
    }),
    implement(operations.getDeviceAuthorization, async ({ params, ctx }) => {
      const info = await clients.auth.getDeviceAuthorization({ userCode: params.userCode }, ctx);
      if (info.status === "expired") throw notFound("Unknown or expired code");
      return { status: 200, body: infoToRest(info) };
    }),
    implement(operations.decideDeviceAuthorization, async ({ params, body, ctx }) => {
      const info = await clients.auth.decideDeviceAuthorization(
        { userCode: params.userCode, approve: body.decision === "approve" },
        ctx,
      );
      return { status: 200, body: infoToRest(info) };
    }),
  ];
}
