import { createHmac, randomBytes } from "node:crypto";
import { ErrorCode, LatchflowError, macTextMatches, newId } from "@latchflow/runtime";
import type { Database } from "@latchflow/runtime/db";
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import { SettingRow } from "../plugins/entities.js";
import { TriggerLinkRow } from "./entities.js";

/** What a signed trigger link lets its holder do: one action on one trigger, until it expires or is rotated. */
export interface TriggerLinkClaims {
  tenant: string;
  pipelineId: string;
  triggerId: string;
  action: "check-in";
  /** epoch seconds */
  exp: number;
  /** the trigger's link generation when signed (absent in links signed before rotation existed = 0) */
  gen?: number;
}

export interface LinkSigner {
  /** Signs a link in the trigger's current generation. */
  sign(claims: Omit<TriggerLinkClaims, "gen">): Promise<string>;
  /** The claims of a genuine, unexpired, unrevoked token; otherwise `not_found` (an invalid link reveals nothing). */
  verify(token: string, now: Date): Promise<TriggerLinkClaims>;
  /** Revokes every link of the trigger handed out so far; returns the new generation. */
  rotate(tenant: string, pipelineId: string, triggerId: string, now: Date): Promise<number>;
}

/** Seals and opens small secrets with the master key (the storage service's SealSecret / OpenSecret). */
export interface KeySealer {
  seal(context: string, plaintext: string): Promise<string>;
  open(context: string, sealed: string): Promise<string>;
}

const KEY_SETTING = "trigger-link-key";
const KEY_CONTEXT = "kernel-setting:trigger-link-key";
const SEALED = "sealed:";
const b64 = (b: Buffer) => b.toString("base64url");

/**
 * The signing key, shared by every kernel replica through the kernel database, stored sealed with the master
 * key (created once). A key an older version stored in clear is sealed in place on first read.
 */
async function linkKey(db: Database, sealer: KeySealer): Promise<Buffer> {
  let row = await db.em().findOne(SettingRow, { key: KEY_SETTING });
  if (!row) {
    const value = SEALED + (await sealer.seal(KEY_CONTEXT, randomBytes(32).toString("hex")));
    try {
      await db.em().insert(SettingRow, { key: KEY_SETTING, value });
    } catch (err) {
      if (!(err instanceof UniqueConstraintViolationException)) throw err;
    }
    row = await db.em().findOneOrFail(SettingRow, { key: KEY_SETTING });
  }
  if (row.value.startsWith(SEALED)) {
    return Buffer.from(await sealer.open(KEY_CONTEXT, row.value.slice(SEALED.length)), "hex");
  }
  const sealed = SEALED + (await sealer.seal(KEY_CONTEXT, row.value));
  // only if no other replica sealed it meanwhile (theirs holds the same key)
  await db.em().nativeUpdate(SettingRow, { key: KEY_SETTING, value: row.value }, { value: sealed });
  return Buffer.from(row.value, "hex");
}

/**
 * Tokens `<base64url(claims JSON)>.<base64url(HMAC-SHA256)>`, the MAC's text compared in constant time (one
 * spelling per link). The key is read (and opened) on first use, when the storage service is up.
 */
export function createLinkSigner(db: Database, sealer: KeySealer): LinkSigner {
  let key: Promise<Buffer> | undefined;
  const keyOnce = () => {
    key ??= linkKey(db, sealer);
    key.catch(() => {
      key = undefined;
    });
    return key;
  };
  const mac = async (body: string) =>
    createHmac("sha256", await keyOnce())
      .update(`lf-trigger-link:${body}`)
      .digest();
  const generationOf = async (pipelineId: string, triggerId: string) =>
    (await db.em().findOne(TriggerLinkRow, { pipelineId, triggerId }))?.generation ?? 0;
  const invalid = () => new LatchflowError(ErrorCode.NotFound, "This link is invalid or has expired");

  return {
    async sign(claims) {
      const gen = await generationOf(claims.pipelineId, claims.triggerId);
      const body = b64(Buffer.from(JSON.stringify({ ...claims, gen })));
      return `${body}.${b64(await mac(body))}`;
    },
    async verify(token, now) {
      const [body, sig, extra] = String(token).split(".");
      if (!body || !sig || extra !== undefined || body.length > 2000) throw invalid();
      const expected = await mac(body);
      if (!macTextMatches(sig, expected)) throw invalid();
      const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as TriggerLinkClaims;
      if (typeof claims.exp !== "number" || claims.exp * 1000 < now.getTime()) throw invalid();
      if ((claims.gen ?? 0) !== (await generationOf(claims.pipelineId, claims.triggerId))) throw invalid();
      return claims;
    },
    async rotate(tenant, pipelineId, triggerId, now) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const row = await db.em().findOne(TriggerLinkRow, { pipelineId, triggerId });
        if (row) {
          const next = row.generation + 1;
          const moved = await db
            .em()
            .nativeUpdate(
              TriggerLinkRow,
              { id: row.id, generation: row.generation },
              { generation: next, rotatedAt: now },
            );
          if (moved === 1) return next;
          continue;
        }
        try {
          await db.em().insert(TriggerLinkRow, {
            id: newId(),
            tenant,
            pipelineId,
            triggerId,
            generation: 1,
            rotatedAt: now,
          });
          return 1;
        } catch (err) {
          if (!(err instanceof UniqueConstraintViolationException)) throw err;
        }
      }
      throw new LatchflowError(ErrorCode.Conflict, "The trigger's links changed concurrently; try again");
    },
  };
}
