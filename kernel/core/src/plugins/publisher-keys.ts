import { fingerprintOf, keyIdOf, rawPublicKey, SignatureError } from "@latchflow/plugin-sdk/node";
import type { pluginsV1 } from "@latchflow/proto";
import {
  actorOf,
  conflict,
  newId,
  notFound,
  type RequestContext,
  validationFailed,
} from "@latchflow/runtime";
import { type Database, emitEvent, type OutboxRelay } from "@latchflow/runtime/db";
import { type PluginRow, PublisherKeyRow } from "./entities.js";

/** The publisher keys admins trust (ADR 042): list, add, remove; and a plugin's signature state against them. */

/** fingerprint → the admin's name for the publisher */
export type TrustedKeys = ReadonlyMap<string, string>;

export async function trustedKeys(db: Database, tenant: string): Promise<TrustedKeys> {
  const rows = await db.em().find(PublisherKeyRow, { tenant }, { fields: ["fingerprint", "name"] });
  return new Map(rows.map((r) => [r.fingerprint, r.name]));
}

/** An installed plugin's signature, trusted or not by the keys as they are now. */
export function signatureOfRow(row: PluginRow, keys: TrustedKeys): pluginsV1.PluginSignature {
  if (!row.signerFingerprint)
    return { state: "unsigned", keyId: "", fingerprint: "", signer: "", publisher: "" };
  const publisher = keys.get(row.signerFingerprint);
  return {
    state: publisher !== undefined ? "trusted" : "untrusted",
    keyId: row.signerKeyId ?? "",
    fingerprint: row.signerFingerprint,
    signer: row.signerName ?? "",
    publisher: publisher ?? "",
  };
}

const toProto = (r: PublisherKeyRow): pluginsV1.PublisherKey => ({
  keyId: r.keyId,
  fingerprint: r.fingerprint,
  name: r.name,
  publicKey: r.publicKey,
  addedBy: r.addedBy,
  addedAt: r.addedAt,
});

export function createPublisherKeysApi(d: { db: Database; relay: OutboxRelay; now: () => Date }) {
  /** Runs the change and records the event in one transaction; answers the key. */
  const audited = async (
    ctx: RequestContext,
    type: "plugins.key.trusted" | "plugins.key.removed",
    change: (tx: ReturnType<Database["em"]>) => Promise<PublisherKeyRow>,
  ) => {
    const row = await d.db.em().transactional(async (tx) => {
      const r = await change(tx);
      await emitEvent(
        tx,
        ctx,
        type,
        { publisherKey: r.keyId },
        { keyId: r.keyId, fingerprint: r.fingerprint, name: r.name },
      );
      return r;
    });
    d.relay.nudge();
    return toProto(row);
  };

  return {
    async listPublisherKeys(_req: pluginsV1.ListPublisherKeysRequest, ctx: RequestContext) {
      const rows = await d.db
        .em()
        .find(PublisherKeyRow, { tenant: ctx.tenant }, { orderBy: { name: "asc" } });
      return { keys: rows.map(toProto) };
    },

    async addPublisherKey(req: pluginsV1.AddPublisherKeyRequest, ctx: RequestContext) {
      const name = req.name.trim();
      if (name === "" || name.length > 200 || /[\n\r]/.test(name))
        throw validationFailed("name: one line of 1 to 200 characters", { field: "name" });
      const publicKey = req.publicKey.trim();
      try {
        rawPublicKey(publicKey);
      } catch (err) {
        if (err instanceof SignatureError) throw validationFailed(err.message, { field: "publicKey" });
        throw err;
      }
      const fingerprint = fingerprintOf(publicKey);
      const existing = await d.db.em().findOne(PublisherKeyRow, { tenant: ctx.tenant, fingerprint });
      if (existing)
        throw conflict(`The key is trusted already, as ${existing.name}`, {
          keyId: existing.keyId,
          fingerprint,
        });
      return audited(ctx, "plugins.key.trusted", async (tx) =>
        tx.create(PublisherKeyRow, {
          id: newId(),
          tenant: ctx.tenant,
          name,
          publicKey,
          fingerprint,
          keyId: keyIdOf(publicKey),
          addedBy: actorOf(ctx).id,
          addedAt: d.now(),
        }),
      );
    },

    async removePublisherKey(req: pluginsV1.RemovePublisherKeyRequest, ctx: RequestContext) {
      const key = req.key.trim();
      const row = await d.db
        .em()
        .findOne(PublisherKeyRow, { tenant: ctx.tenant, $or: [{ keyId: key }, { fingerprint: key }] });
      if (!row) throw notFound("No trusted key has that key id or fingerprint", { key });
      return audited(ctx, "plugins.key.removed", async (tx) => {
        await tx.nativeDelete(PublisherKeyRow, { id: row.id });
        return row;
      });
    },
  };
}
