import type { EventEnvelope } from "@latchflow/bus";
import {
  type Database,
  type EntityManager,
  insertRows,
  rowsInTransaction,
  sqlDate,
  sqlTable,
  updateWhere,
} from "@latchflow/runtime/db";
import { canonicalJson, GENESIS_HASH, recordHash } from "./canonical.js";
import { newCheckpointRow } from "./checkpoints.js";
import { AuditCheckpoint, AuditRecord, ChainHead } from "./entities.js";
import { chainedFromEvent, rowOf } from "./record.js";
import type { CheckpointSigner } from "./signing.js";

export interface ChainDeps {
  db: Database;
  signer: CheckpointSigner;
  /** a signed checkpoint every this many records of a tenant */
  checkpointEvery: number;
  now: () => Date;
}

export interface AppendResult {
  stored: number;
  duplicates: number;
}

/** Rows per INSERT: ~22 columns each stays well under PostgreSQL's 65,535 bind parameters. */
const INSERT_CHUNK = 1000;

/**
 * Locks the tenant's chain head until the transaction ends and returns it (creating the genesis head), in one
 * statement: an upsert that always updates takes the row lock. PostgreSQL: appends of every replica to one
 * tenant queue on that row lock. SQLite: the transaction's first statement is a write, so it holds the
 * database's single write lock from its start.
 */
export async function lockHead(
  tx: EntityManager,
  db: Database,
  tenant: string,
): Promise<{ seq: number; hash: string }> {
  const t = sqlTable(db, "audit_chain_heads");
  const sql = `INSERT INTO ${t} (tenant, seq, hash, updated_at) VALUES (?, 0, ?, ?)
       ON CONFLICT (tenant) DO UPDATE SET tenant = excluded.tenant RETURNING seq, hash`;
  const values = [tenant, GENESIS_HASH, sqlDate(db, new Date())];
  const [head] = await rowsInTransaction(tx, sql, values);
  if (!head) throw new Error("the chain head upsert returned nothing");
  return { seq: Number(head.seq), hash: String(head.hash) };
}

/** The row as `audit_log`'s columns, dates as ISO 8601 (for PostgreSQL's JSON record functions). */
function columnsOf(r: AuditRecord): Record<string, string | number | null> {
  return {
    id: r.id,
    tenant: r.tenant,
    seq: r.seq,
    type: r.type,
    occurred_at: r.occurredAt.toISOString(),
    recorded_at: r.recordedAt.toISOString(),
    actor_kind: r.actorKind,
    actor_id: r.actorId,
    subject_ids: r.subjectIds,
    bundle_id: r.bundleId ?? null,
    recipient_id: r.recipientId ?? null,
    pipeline_id: r.pipelineId ?? null,
    trigger_id: r.triggerId ?? null,
    file_id: r.fileId ?? null,
    assignment_id: r.assignmentId ?? null,
    request_id: r.requestId,
    data: r.data,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

/**
 * Inserts rows in one statement. PostgreSQL: one JSON parameter expanded by `json_populate_recordset` (a
 * multi-row VALUES list costs ~4× more per row in bind parameters); SQLite: a multi-row INSERT, values bound.
 */
async function insertRecords(tx: EntityManager, db: Database, rows: AuditRecord[]): Promise<void> {
  if (db.dialect !== "postgres") {
    await insertRows(tx, AuditRecord, rows);
    return;
  }
  const t = sqlTable(db, "audit_log");
  const trx = tx.getTransactionContext();
  if (!trx) throw new Error("insertRecords runs inside the append transaction");
  await tx
    .getKnex()
    .raw(`INSERT INTO ${t} SELECT * FROM json_populate_recordset(NULL::${t}, ?::json)`, [
      JSON.stringify(rows.map(columnsOf)),
    ])
    .transacting(trx);
}

/** Which of `ids` are recorded already: one bound SELECT in the append's transaction, on its connection. */
async function recordedIds(tx: EntityManager, db: Database, ids: string[]): Promise<string[]> {
  const sql = `SELECT id FROM ${sqlTable(db, "audit_log")} WHERE id IN (${ids.map(() => "?").join(", ")})`;
  return (await rowsInTransaction(tx, sql, ids)).map((r) => String(r.id));
}

/**
 * Appends events to their tenants' chains: per tenant, one transaction that locks the head, skips event ids
 * already recorded (idempotent on the event id, across replicas), numbers and hashes the rest in order,
 * moves the head, and signs a checkpoint at every multiple of `checkpointEvery`.
 */
export async function appendEvents(deps: ChainDeps, events: readonly EventEnvelope[]): Promise<AppendResult> {
  const byTenant = new Map<string, EventEnvelope[]>();
  for (const e of events) {
    const list = byTenant.get(e.tenant) ?? [];
    list.push(e);
    byTenant.set(e.tenant, list);
  }
  const result: AppendResult = { stored: 0, duplicates: 0 };
  for (const [tenant, list] of byTenant) {
    const r = await appendTenant(deps, tenant, list);
    result.stored += r.stored;
    result.duplicates += r.duplicates;
  }
  return result;
}

async function appendTenant(deps: ChainDeps, tenant: string, events: EventEnvelope[]): Promise<AppendResult> {
  const unique = [...new Map(events.map((e) => [e.id, e])).values()];
  // bound statements only (no unit of work): knex's transaction without MikroORM's transaction manager; on
  // SQLite it resolves once the commit is on disk, so the delivery is acknowledged after that
  return deps.db.transaction(async (tx) => {
    const head = await lockHead(tx, deps.db, tenant);
    // after the lock: a replica that recorded one of these ids has committed by now
    const seen = new Set<string>();
    for (let i = 0; i < unique.length; i += INSERT_CHUNK) {
      const ids = unique.slice(i, i + INSERT_CHUNK).map((e) => e.id);
      for (const id of await recordedIds(tx, deps.db, ids)) seen.add(id);
    }
    const fresh = unique.filter((e) => !seen.has(e.id));
    if (fresh.length === 0) return { stored: 0, duplicates: events.length };
    const recordedAt = deps.now();
    let { seq, hash } = head;
    const rows: AuditRecord[] = [];
    const checkpoints: AuditCheckpoint[] = [];
    for (const event of fresh) {
      seq += 1;
      const record = chainedFromEvent(event, tenant, seq, recordedAt);
      const parts = { data: canonicalJson(record.data), subjectIds: canonicalJson(record.subjectIds) };
      const next = recordHash(hash, record, parts);
      rows.push(rowOf(record, parts, hash, next));
      hash = next;
      if (seq % deps.checkpointEvery === 0) {
        checkpoints.push(newCheckpointRow(deps.signer, { tenant, seq, hash, signedAt: recordedAt }));
      }
    }
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await insertRecords(tx, deps.db, rows.slice(i, i + INSERT_CHUNK));
    }
    if (checkpoints.length) await tx.insertMany(AuditCheckpoint, checkpoints);
    await updateWhere(tx, ChainHead, { tenant }, { seq, hash, updatedAt: recordedAt });
    return { stored: fresh.length, duplicates: events.length - fresh.length };
  });
}
