import { operations, type schemas } from "@latchflow/api";
import type { authV1 } from "@latchflow/proto";
import { notFound } from "@latchflow/runtime";
import type { GatewayClients } from "../clients.js";
import { clearSessionCookies, readCookie, setCookie, setSessionCookies } from "../cookies.js";
import { clearDeviceId, deviceId, keepDeviceId, PAIRING_CLAIM_COOKIE } from "../device-cookie.js";
import { implement } from "../route.js";

const iso = (d: Date | undefined) => (d ?? new Date(0)).toISOString();

function deviceToRest(d: authV1.RecipientDevice): schemas.PortalDevice {
  return {
    id: d.id,
    name: d.name,
    current: d.current,
    userAgent: d.userAgent,
    firstSeenAt: iso(d.firstSeenAt),
    lastSeenAt: iso(d.lastSeenAt),
    signedIn: d.signedIn,
    pairedBy: d.pairedBy || null,
  };
}

function pairingToRest(p: authV1.Pairing): schemas.PortalPairing {
  return {
    id: p.id,
    code: p.code,
    url: p.url,
    status: p.status as schemas.PortalPairing["status"],
    expiresAt: iso(p.expiresAt),
    claimant: p.claimant
      ? { userAgent: p.claimant.userAgent, ip: p.claimant.ip, claimedAt: iso(p.claimant.claimedAt) }
      : null,
  };
}

const claimToRest = (c: authV1.PairingClaim): schemas.PortalPairingClaim => ({
  status: c.status as schemas.PortalPairingClaim["status"],
  expiresAt: iso(c.expiresAt),
});

/** The recipient's devices and device pairing (ADR 025): thin handlers over the auth service. */
export function portalDeviceRoutes(
  clients: GatewayClients,
  options: { linkBase: () => string; secureCookies: boolean },
) {
  const secure = options.secureCookies;
  return [
    implement(operations.listPortalDevices, async ({ ctx }) => {
      const res = await clients.auth.listRecipientDevices({}, ctx);
      return { status: 200, body: { items: res.devices.map(deviceToRest) } };
    }),
    implement(operations.renamePortalDevice, async ({ params, body, ctx }) => {
      const d = await clients.auth.renameRecipientDevice({ id: params.id, name: body.name }, ctx);
      return { status: 200, body: deviceToRest(d) };
    }),
    implement(operations.forgetPortalDevice, async ({ params, ctx, koa }) => {
      const res = await clients.auth.forgetRecipientDevice({ id: params.id }, ctx);
      if (res.current) {
        // this browser signed itself out and is no longer known: its next sign-in is a new device
        clearSessionCookies(koa, "recipient", secure);
        clearDeviceId(koa, secure);
      }
      return { status: 204 };
    }),
    implement(operations.startPortalPairing, async ({ ctx }) => {
      const p = await clients.auth.startPairing({ linkBase: options.linkBase() }, ctx);
      return { status: 201, body: pairingToRest(p) };
    }),
    implement(operations.getPortalPairing, async ({ params, ctx }) => ({
      status: 200,
      body: pairingToRest(await clients.auth.getPairing({ id: params.id }, ctx)),
    })),
    implement(operations.approvePortalPairing, async ({ params, ctx }) => ({
      status: 200,
      body: pairingToRest(await clients.auth.decidePairing({ id: params.id, approve: true }, ctx)),
    })),
    implement(operations.denyPortalPairing, async ({ params, ctx }) => ({
      status: 200,
      body: pairingToRest(await clients.auth.decidePairing({ id: params.id, approve: false }, ctx)),
    })),
    implement(operations.claimPortalPairing, async ({ body, ctx, koa }) => {
      const presented = deviceId(koa, secure);
      const claim = await clients.auth.claimPairing({ code: body.code, deviceKey: presented }, ctx);
      keepDeviceId(koa, presented, claim.deviceKey, secure);
      const maxAgeSeconds = ((claim.expiresAt?.getTime() ?? 0) - Date.now()) / 1000 + 120;
      setCookie(koa, PAIRING_CLAIM_COOKIE, claim.claimToken, {
        httpOnly: true,
        sameSite: "Strict",
        secure,
        maxAgeSeconds,
      });
      return { status: 202, body: claimToRest(claim) };
    }),
    implement(operations.getPortalPairingClaim, async ({ ctx, koa }) => {
      const token = readCookie(koa, PAIRING_CLAIM_COOKIE);
      if (!token) throw notFound("This browser has no pairing claim");
      const claim = await clients.auth.pollPairingClaim({ claimToken: token }, ctx);
      if (claim.status !== "pending") {
        setCookie(koa, PAIRING_CLAIM_COOKIE, "", {
          httpOnly: true,
          sameSite: "Strict",
          secure,
          maxAgeSeconds: 0,
        });
      }
      if (claim.grant) setSessionCookies(koa, "recipient", claim.grant, secure);
      return { status: 200, body: claimToRest(claim) };
    }),
  ];
}
