import { ErrorCode, LatchflowError, type Logger } from "@latchflow/runtime";
import type { Database } from "@latchflow/runtime/db";
import { raw } from "@mikro-orm/core";
import { Blob } from "./blob-entity.js";
import { type Kek, unwrapDek, wrapDek } from "./crypto/key-wrap.js";
import type { Keyring } from "./crypto/keyring.js";

export interface KeyUsage {
  keyId: string;
  blobs: number;
  available: boolean;
}

export interface RewrapResult {
  currentKeyId: string;
  rewrapped: number;
  /** blobs still wrapped by another key (unavailable keys and failures included) */
  remaining: number;
  /** data keys that could not be unwrapped (altered rows); logged with their ids */
  failed: number;
  keys: KeyUsage[];
}

const MAX_REWRAP_LIMIT = 10_000;

/** The master key that wraps this blob's data key; Unavailable (not retryable) when it is not configured. */
export function kekFor(keyring: Keyring, row: Pick<Blob, "id" | "keyId">): Kek {
  const kek = keyring.get(row.keyId);
  if (!kek) {
    throw new LatchflowError(
      ErrorCode.Unavailable,
      `Blob ${row.id} is encrypted under master key ${row.keyId}, which is not configured ` +
        "(add it to LATCHFLOW_MASTER_KEYS_OLD, then run `latchflow keys rotate`)",
      { details: { blobId: row.id, keyId: row.keyId }, retryable: false },
    );
  }
  return kek;
}

/** Which master key wraps how many data keys, and moving them to the current key (`latchflow keys rotate`). */
export function createKeyMaintenance(deps: { db: Database; keyring: Keyring; logger: Logger }) {
  const { db, keyring, logger } = deps;
  return { keyUsage, rewrapKeys };

  /** How many blobs each master key wraps. */
  async function keyUsage(): Promise<KeyUsage[]> {
    const rows: { keyId?: string; key_id?: string; n: number | string }[] = await db
      .em()
      .createQueryBuilder(Blob)
      .select(["keyId", raw("count(*) as n")])
      .groupBy("keyId")
      .execute("all", false);
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(String(r.key_id ?? r.keyId), Number(r.n));
    const current = keyring.current.id;
    const ids = new Set([current, ...keyring.ids, ...counts.keys()]);
    return [...ids].map((keyId) => ({
      keyId,
      blobs: counts.get(keyId) ?? 0,
      available: keyring.get(keyId) !== undefined,
    }));
  }

  /**
   * Re-wraps up to `limit` data keys that are wrapped by an old (available) master key under the current
   * one. Content is not touched; each row is updated only if it did not change meanwhile.
   */
  async function rewrapKeys(limit = 500): Promise<RewrapResult> {
    const max = Math.min(Math.max(1, Math.floor(limit)), MAX_REWRAP_LIMIT);
    const current = keyring.current;
    const old = keyring.ids.filter((k) => k !== current.id);
    let rewrapped = 0;
    let failed = 0;
    let after = "";
    while (old.length > 0 && rewrapped < max) {
      const rows = await db
        .em()
        .find(Blob, { keyId: { $in: old }, id: { $gt: after } }, { orderBy: { id: "asc" }, limit: max });
      if (rows.length === 0) break;
      for (const row of rows) {
        after = row.id;
        if (rewrapped >= max) break;
        let rewrappedDek: string;
        try {
          const dek = unwrapDek(kekFor(keyring, row), row.id, Buffer.from(row.wrappedDek, "base64"));
          rewrappedDek = wrapDek(current, row.id, dek).toString("base64");
        } catch (err) {
          failed++;
          logger.error(
            { blobId: row.id, keyId: row.keyId, code: (err as LatchflowError).code },
            "cannot re-wrap a data key",
          );
          continue;
        }
        rewrapped += await db
          .em()
          .nativeUpdate(
            Blob,
            { id: row.id, keyId: row.keyId, wrappedDek: row.wrappedDek },
            { keyId: current.id, wrappedDek: rewrappedDek },
          );
      }
    }
    const keys = await keyUsage();
    const remaining = keys.filter((k) => k.keyId !== current.id).reduce((sum, k) => sum + k.blobs, 0);
    if (rewrapped > 0) logger.info({ rewrapped, remaining, keyId: current.id }, "data keys re-wrapped");
    return { currentKeyId: current.id, rewrapped, remaining, failed, keys };
  }
}
