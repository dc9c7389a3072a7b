import { randomInt } from "node:crypto";
import { PAIRING_CODE_RULE } from "@latchflow/api";
import type { authV1 } from "@latchflow/proto";
import { conflict, newId, notFound, type RequestContext } from "@latchflow/runtime";
import { emitEvent as emit } from "@latchflow/runtime/db";
import type { AuthContext } from "../context.js";
import { Pairing, Recipient } from "../entities/index.js";
import { LIMITS } from "../rate-limit.js";
import { hashSecret, randomSecret } from "../secrets.js";
import { callerRecipientDevice, deviceKeyFor, recordDevice } from "./devices.js";
import { openRecipientSession } from "./recipient-session.js";

/** How long after approval the claimant may still collect its session. */
const DELIVERY_GRACE_MS = 2 * 60_000;

/** A new pairing code (CSPRNG, uniform over the alphabet), as stored: 8 characters, no dash. */
export function pairingCode(): string {
  const { alphabet, length } = PAIRING_CODE_RULE;
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomInt(0, alphabet.length)];
  return out;
}

/** Accepts any case, with or without the dash and spaces; undefined when it cannot be a code. */
export function normalizePairingCode(input: string): string | undefined {
  const code = input.toUpperCase().replace(/[\s-]/g, "");
  if (code.length !== PAIRING_CODE_RULE.length) return undefined;
  for (const ch of code) if (!PAIRING_CODE_RULE.alphabet.includes(ch)) return undefined;
  return code;
}

export const formatPairingCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

type Status = "waiting" | "claimed" | "approved" | "denied" | "expired";

function statusOf(p: Pairing, now: Date): Status {
  if ((p.status === "waiting" || p.status === "claimed") && p.expiresAt <= now) return "expired";
  return p.status as Status;
}

export function createPairingApi(auth: AuthContext) {
  const codeHash = (code: string) => auth.keyedHash(`pairing:${code}`);
  const pageUrl = (linkBase: string) => `${linkBase.replace(/\/$/, "")}/portal/pair`;

  const toProto = (p: Pairing, extra: { code?: string; linkBase?: string } = {}): authV1.Pairing => ({
    id: p.id,
    code: extra.code ? formatPairingCode(extra.code) : "",
    url:
      extra.code && extra.linkBase
        ? `${pageUrl(extra.linkBase)}?code=${formatPairingCode(extra.code)}`
        : pageUrl(extra.linkBase ?? ""),
    status: statusOf(p, auth.now()),
    expiresAt: p.expiresAt,
    ...(p.claimedAt
      ? { claimant: { userAgent: p.claimantUserAgent, ip: p.claimantIp, claimedAt: p.claimedAt } }
      : {}),
  });

  /** A pairing of the calling recipient; anyone else's is "not found". */
  const mine = async (ctx: RequestContext, id: string) => {
    const me = await callerRecipientDevice(auth, ctx);
    const pairing = id
      ? await auth.db.em().findOne(Pairing, { id, tenant: ctx.tenant, recipientId: me.recipientId })
      : null;
    if (!pairing) throw notFound("No such pairing of yours", { pairingId: id });
    return { me, pairing };
  };

  const claimOf = (p: Pairing, now: Date): authV1.PairingClaim["status"] => {
    const s = statusOf(p, now);
    if (s === "claimed") return "pending";
    if (s === "approved") {
      return p.decidedAt && now.getTime() - p.decidedAt.getTime() < DELIVERY_GRACE_MS
        ? "approved"
        : "expired";
    }
    return s === "denied" ? "denied" : "expired";
  };

  return {
    async startPairing(req: authV1.StartPairingRequest, ctx: RequestContext): Promise<authV1.Pairing> {
      const me = await callerRecipientDevice(auth, ctx);
      const now = auth.now();
      await auth.limiter.hit(LIMITS.pairingStartPerRecipient, me.recipientId, now);
      const code = pairingCode();
      const pairing = await auth.db.em().transactional(async (em) => {
        const p = em.create(Pairing, {
          id: newId(now),
          tenant: ctx.tenant,
          recipientId: me.recipientId,
          deviceId: me.deviceId,
          codeHash: codeHash(code),
          status: "waiting",
          claimHash: null,
          claimantKeyHash: null,
          claimantUserAgent: "",
          claimantIp: "",
          claimedAt: null,
          decidedAt: null,
          approvedBy: null,
          newDeviceId: null,
          deliveredAt: null,
          createdAt: now,
          expiresAt: new Date(now.getTime() + PAIRING_CODE_RULE.ttlSeconds * 1000),
        });
        await emit(
          em,
          ctx,
          "auth.pairing.started",
          { recipientId: me.recipientId, pairingId: p.id },
          { recipientId: me.recipientId, pairingId: p.id, deviceId: me.deviceId },
        );
        return p;
      });
      auth.relay.nudge();
      return toProto(pairing, { code, linkBase: req.linkBase });
    },

    async getPairing(req: authV1.GetPairingRequest, ctx: RequestContext): Promise<authV1.Pairing> {
      return toProto((await mine(ctx, req.id)).pairing);
    },

    async decidePairing(req: authV1.DecidePairingRequest, ctx: RequestContext): Promise<authV1.Pairing> {
      const { me, pairing } = await mine(ctx, req.id);
      const now = auth.now();
      const status = statusOf(pairing, now);
      if (req.approve ? status !== "claimed" : status !== "waiting" && status !== "claimed") {
        throw conflict(
          req.approve ? "No device is waiting for this pairing" : "This pairing already ended or expired",
          { status },
        );
      }
      await auth.db.em().transactional(async (em) => {
        const p = await em.findOneOrFail(Pairing, { id: pairing.id });
        if (req.approve) {
          const recipient = await em.findOneOrFail(Recipient, { id: p.recipientId });
          const device = await recordDevice(
            em,
            now,
            recipient,
            p.claimantKeyHash ?? "",
            p.claimantUserAgent,
            me.deviceId,
          ).catch(() => {
            throw conflict("The waiting device was forgotten");
          });
          await em.flush();
          const changed = await em.nativeUpdate(
            Pairing,
            { id: p.id, status: "claimed" },
            { status: "approved", decidedAt: now, approvedBy: me.deviceId, newDeviceId: device.id },
          );
          if (changed !== 1) throw conflict("This pairing already ended");
          await emit(
            em,
            ctx,
            "auth.pairing.approved",
            { recipientId: me.recipientId, pairingId: p.id },
            { recipientId: me.recipientId, pairingId: p.id, approvedBy: me.deviceId, newDeviceId: device.id },
          );
        } else {
          const changed = await em.nativeUpdate(
            Pairing,
            { id: p.id, status: { $in: ["waiting", "claimed"] } },
            { status: "denied", decidedAt: now },
          );
          if (changed !== 1) throw conflict("This pairing already ended");
          await emit(
            em,
            ctx,
            "auth.pairing.denied",
            { recipientId: me.recipientId, pairingId: p.id },
            { recipientId: me.recipientId, pairingId: p.id },
          );
        }
      });
      auth.relay.nudge();
      return toProto(await auth.db.em().findOneOrFail(Pairing, { id: pairing.id }));
    },

    async claimPairing(req: authV1.ClaimPairingRequest, ctx: RequestContext): Promise<authV1.PairingClaim> {
      const now = auth.now();
      await auth.limiter.hit(LIMITS.pairingClaimPerIp, ctx.client?.ip, now);
      const code = normalizePairingCode(req.code);
      const unknown = () => notFound("No such code, or it expired or was already entered");
      if (!code) throw unknown();
      const em = auth.db.em();
      const pairing = await em.findOne(Pairing, { codeHash: codeHash(code) });
      if (!pairing || statusOf(pairing, now) !== "waiting") throw unknown();
      const claimToken = randomSecret();
      const key = await deviceKeyFor(em, pairing.recipientId, req.deviceKey);
      const claimed = await em.transactional(async (tx) => {
        const changed = await tx.nativeUpdate(
          Pairing,
          { id: pairing.id, status: "waiting" },
          {
            status: "claimed",
            claimHash: hashSecret(claimToken),
            claimantKeyHash: hashSecret(key),
            claimantUserAgent: (ctx.client?.userAgent ?? "").slice(0, 512),
            claimantIp: (ctx.client?.ip ?? "").slice(0, 64),
            claimedAt: now,
          },
        );
        if (changed !== 1) return false;
        await emit(
          tx,
          ctx,
          "auth.pairing.claimed",
          { recipientId: pairing.recipientId, pairingId: pairing.id },
          { recipientId: pairing.recipientId, pairingId: pairing.id },
        );
        return true;
      });
      if (!claimed) throw unknown();
      auth.relay.nudge();
      return { status: "pending", expiresAt: pairing.expiresAt, claimToken, deviceKey: key };
    },

    async pollPairingClaim(
      req: authV1.PollPairingClaimRequest,
      ctx: RequestContext,
    ): Promise<authV1.PairingClaim> {
      const now = auth.now();
      await auth.limiter.hit(LIMITS.pairingPollPerIp, ctx.client?.ip, now);
      const em = auth.db.em();
      const pairing = req.claimToken
        ? await em.findOne(Pairing, { claimHash: hashSecret(req.claimToken) })
        : null;
      if (!pairing || pairing.deliveredAt) throw notFound("This browser has no pairing claim");
      const status = claimOf(pairing, now);
      const answer = { status, expiresAt: pairing.expiresAt, claimToken: "", deviceKey: "" };
      if (status !== "approved") return answer;
      const grant = await em.transactional(async (tx) => {
        const taken = await tx.nativeUpdate(
          Pairing,
          { id: pairing.id, deliveredAt: null },
          { deliveredAt: now },
        );
        if (taken !== 1) return undefined;
        const recipient = await tx.findOne(Recipient, { id: pairing.recipientId, enabled: true });
        if (!recipient || !pairing.newDeviceId) return undefined;
        return openRecipientSession(
          tx,
          auth,
          ctx,
          recipient,
          { id: pairing.newDeviceId, key: "" },
          "pairing",
        );
      });
      auth.relay.nudge();
      if (!grant) throw notFound("This browser has no pairing claim");
      return { ...answer, grant };
    },
  };
}
