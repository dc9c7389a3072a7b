import { type Database, sqlDate, sqlTable } from "@latchflow/runtime/db";
import { SETTINGS } from "../context.js";

/**
 * The bytes one logical download may serve: the archive once, plus an allowance for ranges fetched twice
 * (a resume that starts a little early, a download manager retrying a segment). The allowance is below one
 * archive, so a second full transfer never fits. See ADR 015.
 */
export const downloadAllowance = (size: number) => size + Math.floor(size * SETTINGS.resumeAllowance);

/** Runs one conditional UPDATE; true when it changed exactly one row (valid on SQLite and Postgres). */
async function changedOne(db: Database, sql: string, params: unknown[]): Promise<boolean> {
  const result = (await db.em().getConnection().execute(sql, params, "run")) as {
    affectedRows?: number;
    rowCount?: number;
  };
  return (result.affectedRows ?? result.rowCount ?? 0) === 1;
}

const BIG = "CAST(? AS BIGINT)";

/** Reserves `bytes` on a live grant when they fit its budget; false when they do not (or it expired). */
export function reserveGrantBytes(db: Database, grantId: string, bytes: number, size: number, now: Date) {
  return changedOne(
    db,
    `UPDATE ${sqlTable(db, "download_grants")} SET bytes_served = bytes_served + ${BIG}
      WHERE id = ? AND expires_at > ? AND bytes_served + ${BIG} <= ${BIG}`,
    [bytes, grantId, sqlDate(db, now), bytes, downloadAllowance(size)],
  );
}

const LINK_LIVE = "revoked_at IS NULL AND expires_at > ?";

/**
 * Serves `bytes` of a publish link. A request that starts at byte 0 is always a new use. A range that
 * starts later is free while the bytes fit what the uses counted so far allow; otherwise it takes a new use
 * too. False when no use is left (or the link is revoked or expired).
 */
export async function serveLinkBytes(
  db: Database,
  linkId: string,
  range: { start: number; bytes: number; size: number },
  now: Date,
): Promise<boolean> {
  const t = sqlTable(db, "publish_links");
  const at = sqlDate(db, now);
  if (range.start > 0) {
    const free = await changedOne(
      db,
      `UPDATE ${t} SET bytes_served = bytes_served + ${BIG}
        WHERE id = ? AND ${LINK_LIVE} AND bytes_served + ${BIG} <= uses * ${BIG}`,
      [range.bytes, linkId, at, range.bytes, downloadAllowance(range.size)],
    );
    if (free) return true;
  }
  return changedOne(
    db,
    `UPDATE ${t} SET uses = uses + 1, bytes_served = bytes_served + ${BIG}
      WHERE id = ? AND ${LINK_LIVE} AND (max_uses IS NULL OR uses < max_uses)`,
    [range.bytes, linkId, at],
  );
}

/** Gives back reserved bytes that were never sent (never below zero). */
export function releaseBytes(db: Database, kind: "grant" | "link", tokenHash: string, bytes: number) {
  const t = sqlTable(db, kind === "grant" ? "download_grants" : "publish_links");
  return changedOne(
    db,
    `UPDATE ${t} SET bytes_served = bytes_served - ${BIG} WHERE token_hash = ? AND bytes_served >= ${BIG}`,
    [bytes, tokenHash, bytes],
  );
}

/** Marks a grant completed (its last byte was delivered); the first completion wins. */
export function completeGrant(db: Database, tokenHash: string, now: Date) {
  return changedOne(
    db,
    `UPDATE ${sqlTable(db, "download_grants")} SET completed_at = ? WHERE token_hash = ? AND completed_at IS NULL`,
    [sqlDate(db, now), tokenHash],
  );
}
