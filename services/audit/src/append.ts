import type { EventEnvelope } from "@latchflow/bus";
import { type Database, type EntityManager, sqlDate, sqlTable } from "@latchflow/runtime";
import { GENESIS_HASH, recordHash } from "./canonical.js";
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
 * Locks the tenant's chain head until the transaction ends and returns it (creating the genesis head).
 * PostgreSQL: the head row's lock (`FOR UPDATE`) serializes appends of every replica. SQLite: the first
 * statement is a write, so the transaction holds the database's single write lock from its start.
 */
export async function lockHead(
  tx: EntityManager,
  db: Database,
  tenant: string,
): Promise<{ seq: number; hash: string }> {
  const t = sqlTable(db, "audit_chain_heads");
  const conn = tx.getConnection();
  const trx = tx.getTransactionContext();
  await conn.execute(
    `INSERT INTO ${t} (tenant, seq, hash, updated_at) VALUES (?, 0, ?, ?) ON CONFLICT (tenant) DO NOTHING`,
    [tenant, GENESIS_HASH, sqlDate(db, new Date())],
    "run",
    trx,
  );
  const lock = db.dialect === "postgres" ? " FOR UPDATE" : "";
  const rows = (await conn.execute(
    `SELECT seq, hash FROM ${t} WHERE tenant = ?${lock}`,
    [tenant],
    "all",
    trx,
  )) as { seq: number | string; hash: string }[];
  const head = rows[0];
  if (!head) throw new Error("the chain head vanished inside its own transaction");
  return { seq: Number(head.seq), hash: head.hash };
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
  return deps.db.em().transactional(async (tx) => {
    const head = await lockHead(tx, deps.db, tenant);
    // after the lock: a replica that recorded one of these ids has committed by now
    const seen = new Set<string>();
    for (let i = 0; i < unique.length; i += INSERT_CHUNK) {
      const ids = unique.slice(i, i + INSERT_CHUNK).map((e) => e.id);
      const found = await tx.find(AuditRecord, { id: { $in: ids } }, { fields: ["id"] });
      for (const r of found) seen.add(r.id);
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
      const next = recordHash(hash, record);
      rows.push(rowOf(record, hash, next));
      hash = next;
      if (seq % deps.checkpointEvery === 0) {
        checkpoints.push(newCheckpointRow(deps.signer, { tenant, seq, hash, signedAt: recordedAt }));
      }
    }
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await tx.insertMany(AuditRecord, rows.slice(i, i + INSERT_CHUNK));
    }
    if (checkpoints.length) await tx.insertMany(AuditCheckpoint, checkpoints);
    await tx.nativeUpdate(ChainHead, { tenant }, { seq, hash, updatedAt: recordedAt });
    return { stored: fresh.length, duplicates: events.length - fresh.length };
  });
}
