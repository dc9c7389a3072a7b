import { randomBytes } from "node:crypto";
import type { authV1 } from "@latchflow/proto";
import {
  CallerKind,
  newId,
  notFound,
  permissionDenied,
  type RequestContext,
  validationFailed,
} from "@latchflow/runtime";
import type { EntityManager } from "@latchflow/runtime/db";
import { emitEvent as emit } from "@latchflow/runtime/db";
import { type AuthContext, callerSession } from "../context.js";
import { RecipientDevice, Session } from "../entities/index.js";
import { hashSecret } from "../secrets.js";
import { sessionIsLive } from "./sessions.js";

/** What a device cookie looks like (the gateway's lf_device); anything else is treated as absent. */
const DEVICE_KEY = /^[A-Za-z0-9_-]{16,64}$/;

/** A new device cookie value. */
export function newDeviceKey(): string {
  return randomBytes(18).toString("base64url");
}

/**
 * The device key a recipient's browser keeps: the one it presented, unless it presented none or one of a
 * device this recipient forgot (a forgotten key is never recognised again: the browser gets a new one).
 */
export async function deviceKeyFor(
  em: EntityManager,
  recipientId: string,
  presented: string,
): Promise<string> {
  if (!DEVICE_KEY.test(presented)) return newDeviceKey();
  const known = await em.findOne(RecipientDevice, { recipientId, keyHash: hashSecret(presented) });
  return known?.forgottenAt ? newDeviceKey() : presented;
}

/**
 * Records a sign-in of the device holding the key with this sha256: a new row, or the known one refreshed.
 * `pairedBy` (a pairing's approving device) replaces the earlier value; an emailed-code sign-in keeps it.
 */
export async function recordDevice(
  em: EntityManager,
  now: Date,
  recipient: { id: string; tenant: string },
  keyHash: string,
  userAgent: string,
  pairedBy?: string | null,
): Promise<RecipientDevice> {
  const known = await em.findOne(RecipientDevice, { recipientId: recipient.id, keyHash });
  if (known && !known.forgottenAt) {
    known.lastSeenAt = now;
    known.userAgent = userAgent.slice(0, 512);
    if (pairedBy !== undefined) known.pairedBy = pairedBy;
    return known;
  }
  if (known) throw notFound("This device was forgotten");
  return em.create(RecipientDevice, {
    id: newId(now),
    tenant: recipient.tenant,
    recipientId: recipient.id,
    keyHash,
    name: "",
    userAgent: userAgent.slice(0, 512),
    firstSeenAt: now,
    lastSeenAt: now,
    pairedBy: pairedBy ?? null,
    forgottenAt: null,
  });
}

/** The calling recipient and the device of their session (null for sessions older than devices). */
export async function callerRecipientDevice(
  auth: AuthContext,
  ctx: RequestContext,
): Promise<{ recipientId: string; sessionId: string; deviceId: string | null }> {
  const me = callerSession(ctx);
  if (me.kind !== "recipient") throw permissionDenied("This needs a signed-in recipient");
  const session = await auth.db.em().findOne(Session, { id: me.sessionId });
  return { recipientId: me.subjectId, sessionId: me.sessionId, deviceId: session?.deviceId ?? null };
}

function toProto(d: RecipientDevice, currentId: string | null, live: Set<string>): authV1.RecipientDevice {
  return {
    id: d.id,
    name: d.name,
    current: d.id === currentId,
    userAgent: d.userAgent,
    firstSeenAt: d.firstSeenAt,
    lastSeenAt: d.lastSeenAt,
    signedIn: live.has(d.id),
    pairedBy: d.pairedBy ?? "",
  };
}

export function createDevicesApi(auth: AuthContext) {
  const own = async (em: EntityManager, ctx: RequestContext, recipientId: string, id: string) => {
    const device = id
      ? await em.findOne(RecipientDevice, { id, tenant: ctx.tenant, recipientId, forgottenAt: null })
      : null;
    if (!device) throw notFound("No such device of yours", { deviceId: id });
    return device;
  };
  const liveDevices = async (em: EntityManager, ctx: RequestContext, recipientId: string) => {
    const now = auth.now();
    const sessions = await em.find(Session, {
      tenant: ctx.tenant,
      subjectKind: "recipient",
      subjectId: recipientId,
      revokedAt: null,
      deviceId: { $ne: null },
    });
    return new Set(sessions.filter((s) => sessionIsLive(s, auth, now)).map((s) => s.deviceId ?? ""));
  };

  return {
    async listRecipientDevices(
      _req: authV1.ListRecipientDevicesRequest,
      ctx: RequestContext,
    ): Promise<authV1.ListRecipientDevicesResponse> {
      const me = await callerRecipientDevice(auth, ctx);
      const em = auth.db.em();
      const rows = await em.find(
        RecipientDevice,
        { tenant: ctx.tenant, recipientId: me.recipientId, forgottenAt: null },
        { orderBy: { lastSeenAt: "desc", id: "desc" } },
      );
      const live = await liveDevices(em, ctx, me.recipientId);
      const current = rows.filter((d) => d.id === me.deviceId);
      const others = rows.filter((d) => d.id !== me.deviceId);
      return { devices: [...current, ...others].map((d) => toProto(d, me.deviceId, live)) };
    },

    async renameRecipientDevice(
      req: authV1.RenameRecipientDeviceRequest,
      ctx: RequestContext,
    ): Promise<authV1.RecipientDevice> {
      const me = await callerRecipientDevice(auth, ctx);
      const name = req.name.trim().slice(0, 60);
      const device = await auth.db.em().transactional(async (em) => {
        const d = await own(em, ctx, me.recipientId, req.id);
        d.name = name;
        await emit(
          em,
          ctx,
          "auth.recipient-device.renamed",
          { recipientId: me.recipientId, deviceId: d.id },
          { recipientId: me.recipientId, deviceId: d.id },
        );
        return d;
      });
      auth.relay.nudge();
      return toProto(device, me.deviceId, await liveDevices(auth.db.em(), ctx, me.recipientId));
    },

    async forgetRecipientDevice(
      req: authV1.ForgetRecipientDeviceRequest,
      ctx: RequestContext,
    ): Promise<authV1.ForgetRecipientDeviceResponse> {
      const me = await callerRecipientDevice(auth, ctx);
      const now = auth.now();
      const ended = await auth.db.em().transactional(async (em) => {
        const d = await own(em, ctx, me.recipientId, req.id);
        d.forgottenAt = now;
        const sessions = await em.find(Session, { deviceId: d.id, revokedAt: null });
        for (const s of sessions) {
          s.revokedAt = now;
          await emit(
            em,
            ctx,
            "auth.session.revoked",
            { sessionId: s.id },
            { sessionId: s.id, subjectKind: s.subjectKind, subjectId: s.subjectId },
          );
        }
        await emit(
          em,
          ctx,
          "auth.recipient-device.forgotten",
          { recipientId: me.recipientId, deviceId: d.id },
          { recipientId: me.recipientId, deviceId: d.id, sessionsEnded: sessions.length },
        );
        return sessions.length;
      });
      auth.relay.nudge();
      return { current: req.id === me.deviceId, sessionsEnded: ended };
    },

    async nameRecipientDeviceKeys(
      req: authV1.NameRecipientDeviceKeysRequest,
      ctx: RequestContext,
    ): Promise<authV1.NameRecipientDeviceKeysResponse> {
      // a recipient names their own devices; a user (the admin's download log, authorized by the gateway) names
      // the devices of the recipient asked about
      const recipientId =
        ctx.caller?.kind === CallerKind.Recipient
          ? (await callerRecipientDevice(auth, ctx)).recipientId
          : req.recipientId;
      if (!recipientId) throw validationFailed("recipientId is required", { field: "recipientId" });
      const byHash = new Map(
        [...new Set(req.deviceKeys)].filter((k) => DEVICE_KEY.test(k)).map((k) => [hashSecret(k), k]),
      );
      if (byHash.size === 0) return { names: {} };
      const rows = await auth.db.em().find(RecipientDevice, {
        tenant: ctx.tenant,
        recipientId,
        forgottenAt: null,
        keyHash: { $in: [...byHash.keys()] },
      });
      const names: Record<string, string> = {};
      for (const d of rows) {
        const key = byHash.get(d.keyHash);
        if (key && d.name) names[key] = d.name;
      }
      return { names };
    },
  };
}
