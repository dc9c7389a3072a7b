import { badRequest, conflict, decodeCursor, pageLimit, toPage } from "@latchflow/runtime";
import type { Database } from "@latchflow/runtime/db";
import { ulid } from "ulid";
import { lockHead } from "./append.js";
import { AuditCheckpoint } from "./entities.js";
import type { CheckpointSigner } from "./signing.js";

/** A new checkpoint row: the signer's signature of `{tenant, seq, hash, signedAt, keyId}`. */
export function newCheckpointRow(
  signer: CheckpointSigner,
  c: { tenant: string; seq: number; hash: string; signedAt: Date },
): AuditCheckpoint {
  const { keyId, signature } = signer.sign(c);
  return { id: ulid(), tenant: c.tenant, seq: c.seq, hash: c.hash, signedAt: c.signedAt, keyId, signature };
}

/**
 * Signs a checkpoint of the tenant's chain head now (under the head lock, so the head cannot move meanwhile);
 * returns the existing one when the head is already checkpointed. An empty chain is a conflict.
 */
export async function createCheckpoint(
  db: Database,
  signer: CheckpointSigner,
  tenant: string,
  now: Date,
): Promise<{ checkpoint: AuditCheckpoint; created: boolean }> {
  return db.em().transactional(async (tx) => {
    const head = await lockHead(tx, db, tenant);
    if (head.seq === 0) throw conflict("The audit log of this tenant is empty: nothing to checkpoint");
    const existing = await tx.findOne(AuditCheckpoint, { tenant, seq: head.seq });
    if (existing) return { checkpoint: existing, created: false };
    const checkpoint = newCheckpointRow(signer, { tenant, seq: head.seq, hash: head.hash, signedAt: now });
    await tx.insert(AuditCheckpoint, checkpoint);
    return { checkpoint, created: true };
  });
}

/** Checkpoints newest first, cursor = the last seq returned. */
export async function listCheckpoints(
  db: Database,
  tenant: string,
  page: { cursor?: string; limit?: number },
): Promise<{ items: AuditCheckpoint[]; nextCursor: string }> {
  const limit = pageLimit(page.limit);
  const before = seqCursor(page.cursor);
  const rows = await db
    .em()
    .find(
      AuditCheckpoint,
      { tenant, ...(before === undefined ? {} : { seq: { $lt: before } }) },
      { orderBy: { seq: "desc" }, limit: limit + 1 },
    );
  return toPage(rows, limit, (c) => String(c.seq));
}

/** Every checkpoint of the tenant up to `seq`, oldest first (one per `checkpointEvery` records: few). */
export function checkpointsUpTo(db: Database, tenant: string, seq: number): Promise<AuditCheckpoint[]> {
  return db.em().find(AuditCheckpoint, { tenant, seq: { $lte: seq } }, { orderBy: { seq: "asc" } });
}

/** A seq cursor from the caller: base64url `{k:"<seq>"}`; anything else is a bad request. */
export function seqCursor(cursor: string | undefined): number | undefined {
  const key = decodeCursor(cursor);
  if (key === undefined) return undefined;
  if (!/^[1-9][0-9]{0,15}$/.test(key)) throw badRequest("Invalid cursor", { field: "cursor" });
  return Number(key);
}
