import type { authV1 } from "@latchflow/proto";
import { DEFAULT_TENANT, newId, notFound, type RequestContext, validationFailed } from "@latchflow/runtime";
import { emitEvent as emit } from "@latchflow/runtime/db";
import { type AuthContext, SETTINGS } from "../context.js";
import { DeviceGrant, User } from "../entities/index.js";
import { LIMITS } from "../rate-limit.js";
import { formatUserCode, hashSecret, normalizeUserCode, randomSecret, userCode } from "../secrets.js";
import { presenterOf } from "./presenter.js";
import { defaultScopesFor, grantableScopes, issueToken } from "./tokens.js";

const CLIENT_ID = /^[A-Za-z0-9._-]{1,100}$/;

function status(g: DeviceGrant, now: Date): string {
  if (g.status === "issued") return "approved";
  if (g.status === "pending" && g.expiresAt <= now) return "expired";
  return g.status;
}

function info(g: DeviceGrant, now: Date): authV1.DeviceAuthorizationInfo {
  return {
    userCode: formatUserCode(g.userCode),
    clientId: g.clientId,
    scopes: g.scopes.split(" ").filter(Boolean),
    status: status(g, now),
    expiresAt: g.expiresAt,
  };
}

/** RFC 8628: the CLI asks for a code, the signed-in user approves it, the CLI polls for its token. */
export function createDeviceApi(auth: AuthContext) {
  const byUserCode = async (raw: string) => {
    const code = normalizeUserCode(raw);
    const now = auth.now();
    const grant = code
      ? await auth.db
          .em()
          .findOne(DeviceGrant, { userCode: code, expiresAt: { $gt: now } }, { orderBy: { id: "desc" } })
      : null;
    if (!grant) throw notFound("Unknown or expired code", { field: "userCode" });
    return grant;
  };

  return {
    async startDeviceAuthorization(
      req: authV1.StartDeviceAuthorizationRequest,
      ctx: RequestContext,
    ): Promise<authV1.DeviceAuthorization> {
      const now = auth.now();
      await auth.limiter.hit(LIMITS.deviceCodePerIp, ctx.client?.ip, now);
      const clientId = req.clientId || "latchflow-cli";
      if (!CLIENT_ID.test(clientId)) throw validationFailed("client_id is invalid", { field: "client_id" });
      const deviceCode = randomSecret();
      const code = userCode();
      const id = newId(now);
      await auth.db.em().transactional(async (em) => {
        em.create(DeviceGrant, {
          id,
          tenant: DEFAULT_TENANT,
          deviceCodeHash: hashSecret(deviceCode),
          userCode: code,
          clientId,
          scopes: [...new Set(req.scopes)].join(" "),
          status: "pending",
          userId: null,
          intervalSeconds: SETTINGS.deviceIntervalSeconds,
          lastPolledAt: null,
          approvedScopes: null,
          tokenExpiresAt: null,
          createdAt: now,
          expiresAt: new Date(now.getTime() + SETTINGS.deviceTtlSeconds * 1000),
        });
        await emit(
          em,
          ctx,
          "auth.device.requested",
          { deviceGrantId: id },
          { deviceGrantId: id, clientId, scopes: req.scopes },
        );
      });
      auth.relay.nudge();
      const base = `${req.linkBase.replace(/\/$/, "")}/device`;
      return {
        deviceCode,
        userCode: formatUserCode(code),
        verificationUri: base,
        verificationUriComplete: `${base}?user_code=${formatUserCode(code)}`,
        expiresIn: SETTINGS.deviceTtlSeconds,
        interval: SETTINGS.deviceIntervalSeconds,
      };
    },

    async pollDeviceToken(
      req: authV1.PollDeviceTokenRequest,
      ctx: RequestContext,
    ): Promise<authV1.PollDeviceTokenResponse> {
      const now = auth.now();
      await auth.limiter.hit(LIMITS.deviceTokenPerIp, ctx.client?.ip, now);
      const em = auth.db.em();
      const grant = req.deviceCode
        ? await em.findOne(DeviceGrant, { deviceCodeHash: hashSecret(req.deviceCode) })
        : null;
      if (!grant) throw validationFailed("Unknown device_code", { oauthError: "invalid_grant" });
      const base = { accessToken: "", scopes: [], interval: grant.intervalSeconds };
      if (grant.status === "issued") return { ...base, outcome: "expired_token" };
      if (grant.expiresAt <= now) return { ...base, outcome: "expired_token" };
      if (grant.status === "denied") return { ...base, outcome: "access_denied" };
      const tooSoon =
        grant.lastPolledAt && now.getTime() - grant.lastPolledAt.getTime() < grant.intervalSeconds * 1000;
      if (tooSoon) {
        const interval = grant.intervalSeconds + 5;
        await em.nativeUpdate(
          DeviceGrant,
          { id: grant.id },
          { intervalSeconds: interval, lastPolledAt: now },
        );
        return { ...base, outcome: "slow_down", interval };
      }
      if (grant.status === "pending") {
        await em.nativeUpdate(DeviceGrant, { id: grant.id }, { lastPolledAt: now });
        return { ...base, outcome: "authorization_pending" };
      }
      // approved: issue exactly one token (a conditional update decides under concurrent polls)
      const issued = await em.transactional(async (tx) => {
        const claimed = await tx.nativeUpdate(
          DeviceGrant,
          { id: grant.id, status: "approved" },
          { status: "issued", lastPolledAt: now },
        );
        if (claimed !== 1) return undefined;
        const user = await tx.findOne(User, { id: grant.userId ?? "", tenant: grant.tenant });
        if (!user?.active) return undefined;
        const scopes = grantableScopesSafe(user, (grant.approvedScopes ?? "").split(" ").filter(Boolean));
        const onBehalf = { ...ctx, caller: { kind: "user" as const, id: user.id } };
        return issueToken(tx, onBehalf, user, {
          name: `device: ${grant.clientId}`,
          scopes,
          expiresAt: grant.tokenExpiresAt ?? null,
          now,
        });
      });
      auth.relay.nudge();
      if (!issued) return { ...base, outcome: "expired_token" };
      return {
        outcome: "granted",
        accessToken: issued.token,
        scopes: issued.row.scopes.split(" "),
        interval: 0,
      };
    },

    async getDeviceAuthorization(
      req: authV1.GetDeviceAuthorizationRequest,
      _ctx: RequestContext,
    ): Promise<authV1.DeviceAuthorizationInfo> {
      return info(await byUserCode(req.userCode), auth.now());
    },

    async decideDeviceAuthorization(
      req: authV1.DecideDeviceAuthorizationRequest,
      ctx: RequestContext,
    ): Promise<authV1.DeviceAuthorizationInfo> {
      const grant = await byUserCode(req.userCode);
      const now = auth.now();
      if (grant.status !== "pending")
        throw validationFailed("This code was already decided", { status: grant.status });
      await auth.db.em().transactional(async (em) => {
        const presenter = await presenterOf(em, ctx);
        const userId = presenter.user.id;
        const next = req.approve ? "approved" : "denied";
        // the token is fixed now, within the approving credential: requested scopes it holds (or its role's
        // defaults it holds), expiring with it
        const requested = grant.scopes.split(" ").filter(Boolean);
        const approvedScopes = requested.length
          ? grantableScopesSafe(presenter.user, requested).filter((s) => presenter.scopes.includes(s))
          : defaultScopesFor(presenter);
        const n = await em.nativeUpdate(
          DeviceGrant,
          { id: grant.id, status: "pending" },
          {
            status: next,
            userId,
            approvedScopes: approvedScopes.join(" "),
            tokenExpiresAt: presenter.expiresAt,
          },
        );
        if (n !== 1) throw validationFailed("This code was already decided");
        await emit(
          em,
          ctx,
          req.approve ? "auth.device.approved" : "auth.device.denied",
          { deviceGrantId: grant.id, userId },
          {
            deviceGrantId: grant.id,
            userId,
          },
        );
      });
      auth.relay.nudge();
      return info(await byUserCode(req.userCode), now);
    },
  };
}

/** The subset of requested scopes the user may hold (never throws: device requests are narrowed, not refused). */
function grantableScopesSafe(user: User, requested: string[]): string[] {
  return requested.filter((s) => {
    try {
      grantableScopes(user, [s]);
      return true;
    } catch {
      return false;
    }
  });
}
