import type { EventEnvelope } from "@latchflow/bus";
import type { CanonicalParts, ChainedRecord } from "./canonical.js";
import type { AuditRecord } from "./entities.js";

/**
 * Subject id keys (as events name them in `subjectIds`) copied into indexed columns for the filters.
 * Values longer than the column are not indexed (they stay in `subjectIds`).
 */
export const INDEXED_SUBJECTS = [
  "bundleId",
  "recipientId",
  "pipelineId",
  "triggerId",
  "fileId",
  "assignmentId",
] as const;
export type IndexedSubject = (typeof INDEXED_SUBJECTS)[number];

const MAX_ID = 200;

/** The indexed subject columns of a record, derived from its subject ids (null when absent). */
export function subjectColumns(subjectIds: Record<string, string>): Record<IndexedSubject, string | null> {
  const out = {} as Record<IndexedSubject, string | null>;
  for (const key of INDEXED_SUBJECTS) {
    const v = subjectIds[key];
    out[key] = typeof v === "string" && v.length > 0 && v.length <= MAX_ID ? v : null;
  }
  return out;
}

const clip = (s: unknown, max: number, fallback = "") =>
  (typeof s === "string" ? s : s == null ? fallback : String(s)).slice(0, max);

function validDate(value: unknown, fallback: Date): Date {
  const d = new Date(typeof value === "string" || typeof value === "number" ? value : Number.NaN);
  return Number.isNaN(d.getTime()) ? fallback : d;
}

/**
 * What the chain stores of an event: its fields normalised to what the columns hold (strings clipped to the
 * column sizes, data through JSON), so the hash computed now is the hash recomputed from the row later.
 */
export function chainedFromEvent(
  event: EventEnvelope,
  tenant: string,
  seq: number,
  recordedAt: Date,
): ChainedRecord {
  const subjectIds: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.subjectIds ?? {})) {
    if (v !== undefined && v !== null) subjectIds[clip(k, 100)] = String(v);
  }
  return {
    tenant,
    seq,
    id: event.id,
    type: clip(event.type, 120),
    occurredAt: validDate(event.occurredAt, recordedAt),
    recordedAt,
    actor: { kind: clip(event.actor?.kind, 20, "system"), id: clip(event.actor?.id, MAX_ID, "unknown") },
    subjectIds,
    requestId: clip(event.requestId, 100),
    data: JSON.parse(JSON.stringify(event.data ?? {})) as unknown,
  };
}

/** A row of `audit_log` for a chained record; `parts` are its canonical data and subject ids (stored as is). */
export function rowOf(r: ChainedRecord, parts: CanonicalParts, prevHash: string, hash: string): AuditRecord {
  const subjects = subjectColumns(r.subjectIds);
  return {
    id: r.id,
    tenant: r.tenant,
    seq: r.seq,
    type: r.type,
    occurredAt: r.occurredAt,
    recordedAt: r.recordedAt,
    actorKind: r.actor.kind,
    actorId: r.actor.id,
    subjectIds: parts.subjectIds,
    ...subjects,
    requestId: r.requestId,
    data: parts.data,
    prevHash,
    hash,
  };
}

/**
 * The chained fields of a stored row. Throws a SyntaxError when `subjectIds` or `data` is no longer JSON
 * (the verifier reports that as a hash mismatch). `data: false` leaves the data unparsed (null), for a caller
 * that hashes the stored text.
 */
export function chainedFromRow(row: AuditRecord, options: { data?: boolean } = {}): ChainedRecord {
  return {
    tenant: row.tenant,
    seq: Number(row.seq),
    id: row.id,
    type: row.type,
    occurredAt: row.occurredAt,
    recordedAt: row.recordedAt,
    actor: { kind: row.actorKind, id: row.actorId },
    subjectIds: JSON.parse(row.subjectIds) as Record<string, string>,
    requestId: row.requestId,
    data: options.data === false ? null : (JSON.parse(row.data) as unknown),
  };
}
