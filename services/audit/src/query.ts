import type { auditV1 } from "@latchflow/proto";
import { badRequest, pageLimit, toPage } from "@latchflow/runtime";
import type { Database } from "@latchflow/runtime/db";
import { type ObjectQuery, raw } from "@mikro-orm/core";
import { seqCursor } from "./checkpoints.js";
import { AuditRecord } from "./entities.js";
import { matchesNothing } from "./names.js";

/** A subject or actor id to match: one id, or any of several (a name resolved to every id that had it). */
export type IdMatch = string | readonly string[];

/**
 * A validated query filter (every set field must match). Names (`bundleName`, …) are resolved to ids by
 * `resolveNames` (names.ts) before the query runs.
 */
export interface AuditFilter {
  typePrefix?: string;
  bundleId?: IdMatch;
  recipientId?: IdMatch;
  pipelineId?: IdMatch;
  triggerId?: string;
  fileId?: string;
  assignmentId?: string;
  actorKind?: string;
  actorId?: IdMatch;
  /** inclusive */
  from?: Date;
  /** exclusive */
  to?: Date;
  bundleName?: string;
  recipientEmail?: string;
  pipelineName?: string;
  userEmail?: string;
}

const TYPE_PREFIX = /^[a-z0-9.-]{1,120}$/;
const SUBJECT_ID = /^[A-Za-z0-9._:-]{1,200}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/;
const ACTOR_KINDS = new Set(["user", "token", "recipient", "system", "pipeline_run"]);
const SUBJECT_FIELDS = [
  ["bundleId", "bundle"],
  ["recipientId", "recipient"],
  ["pipelineId", "pipeline"],
  ["triggerId", "trigger"],
  ["fileId", "file"],
  ["assignmentId", "assignment"],
] as const;

/** Checks a filter from the wire; a bad value is a bad_request naming the field. */
export function compileFilter(f: auditV1.AuditFilter | undefined): AuditFilter {
  const out: AuditFilter = {};
  if (!f) return out;
  if (f.typePrefix) {
    if (!TYPE_PREFIX.test(f.typePrefix))
      throw badRequest("type must be an event type or a prefix of one", { field: "type" });
    out.typePrefix = f.typePrefix;
  }
  for (const [key, field] of SUBJECT_FIELDS) {
    const v = f[key];
    if (!v) continue;
    if (!SUBJECT_ID.test(v)) throw badRequest(`${field} must be an id`, { field });
    out[key] = v;
  }
  if (f.actorKind) {
    if (!ACTOR_KINDS.has(f.actorKind))
      throw badRequest(`actor kind must be one of ${[...ACTOR_KINDS].join(", ")}`, { field: "actor" });
    out.actorKind = f.actorKind;
  }
  if (f.actorId) {
    if (!out.actorKind) throw badRequest("an actor id needs an actor kind", { field: "actor" });
    if (f.actorId.length > 200) throw badRequest("actor id is too long", { field: "actor" });
    out.actorId = f.actorId;
  }
  const names = [
    ["bundleName", "bundle", 200],
    ["recipientEmail", "recipient", 320],
    ["pipelineName", "pipeline", 63],
    ["userEmail", "user", 320],
  ] as const;
  for (const [key, field, max] of names) {
    const v = f[key].trim();
    if (!v) continue;
    if (v.length > max || CONTROL.test(v)) throw badRequest(`${field} is not a valid name`, { field });
    out[key] = key === "recipientEmail" || key === "userEmail" ? v.toLowerCase() : v;
  }
  if (out.userEmail && out.actorKind)
    throw badRequest("give a user or an actor, not both", { field: "user" });
  if (f.occurredFrom) out.from = f.occurredFrom;
  if (f.occurredTo) out.to = f.occurredTo;
  if (out.from && out.to && out.from >= out.to) throw badRequest("from must be before to", { field: "from" });
  return out;
}

/** True when no filter is set. */
export function isEmptyFilter(f: AuditFilter): boolean {
  return Object.values(f).every((v) => v === undefined);
}

/** The first string after every string that starts with `prefix`, in byte order (prefix chars are ASCII). */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * The WHERE of a filtered query. A type prefix is a range (the column compares bytes on both databases), so
 * it is an index range; subjects and actors hit their (tenant, column, seq) indexes.
 */
export function whereOf(tenant: string, f: AuditFilter): ObjectQuery<AuditRecord> {
  const ids = (v: IdMatch) => (typeof v === "string" ? v : { $in: [...v] });
  const occurred = {
    ...(f.from ? { $gte: f.from } : {}),
    ...(f.to ? { $lt: f.to } : {}),
  };
  return {
    tenant,
    ...(f.typePrefix ? { type: { $gte: f.typePrefix, $lt: prefixEnd(f.typePrefix) } } : {}),
    ...(f.bundleId ? { bundleId: ids(f.bundleId) } : {}),
    ...(f.recipientId ? { recipientId: ids(f.recipientId) } : {}),
    ...(f.pipelineId ? { pipelineId: ids(f.pipelineId) } : {}),
    ...(f.triggerId ? { triggerId: f.triggerId } : {}),
    ...(f.fileId ? { fileId: f.fileId } : {}),
    ...(f.assignmentId ? { assignmentId: f.assignmentId } : {}),
    ...(f.actorKind ? { actorKind: f.actorKind } : {}),
    ...(f.actorId ? { actorId: ids(f.actorId) } : {}),
    ...(f.from || f.to ? { occurredAt: occurred } : {}),
  };
}

/**
 * The lowest and highest seq of the records in the filter's time range (null: none), from the covering
 * `(tenant, occurred_at, seq)` index. Bounding seq with them keeps "newest first within a time range" an index
 * range read: without them the planner may walk the whole (tenant, seq) index back from the head to reach a
 * window months old, because it assumes matching rows are spread evenly (occurredAt follows seq closely).
 * `seq + 0` keeps PostgreSQL from answering min/max with that same walk over the seq index.
 */
async function timeRangeSeqs(
  db: Database,
  tenant: string,
  f: AuditFilter,
): Promise<{ lo: number; hi: number } | null> {
  const row = (await db
    .em()
    .createQueryBuilder(AuditRecord)
    .select([raw("min(seq + 0) as lo"), raw("max(seq + 0) as hi")])
    .where(whereOf(tenant, { ...(f.from ? { from: f.from } : {}), ...(f.to ? { to: f.to } : {}) }))
    .execute("get", false)) as { lo: number | string | null; hi: number | string | null } | undefined;
  if (row?.lo == null || row.hi == null) return null;
  return { lo: Number(row.lo), hi: Number(row.hi) };
}

/**
 * One page newest first. The cursor is the last seq returned: records appended meanwhile have higher
 * numbers, so they never shift a later page (no gaps, no repeats).
 */
export async function listRecords(
  db: Database,
  tenant: string,
  filter: AuditFilter,
  page: { cursor?: string; limit?: number },
): Promise<{ items: AuditRecord[]; nextCursor: string }> {
  const limit = pageLimit(page.limit);
  const before = seqCursor(page.cursor);
  if (matchesNothing(filter)) return { items: [], nextCursor: "" };
  const bounds = filter.from || filter.to ? await timeRangeSeqs(db, tenant, filter) : undefined;
  if (bounds === null) return { items: [], nextCursor: "" };
  const seq = {
    ...(bounds ? { $gte: bounds.lo, $lte: bounds.hi } : {}),
    ...(before === undefined ? {} : { $lt: before }),
  };
  const rows = await db
    .em()
    .find(
      AuditRecord,
      { ...whereOf(tenant, filter), ...(Object.keys(seq).length ? { seq } : {}) },
      { orderBy: { seq: "desc" }, limit: limit + 1 },
    );
  return toPage(rows, limit, (r) => String(r.seq));
}

/** Batches of matching records oldest first, up to `upToSeq`, one query (and one fresh unit of work) each. */
export async function* recordBatches(
  db: Database,
  tenant: string,
  filter: AuditFilter,
  upToSeq: number,
  batchSize = 500,
): AsyncGenerator<AuditRecord[]> {
  if (matchesNothing(filter)) return;
  const bounds = filter.from || filter.to ? await timeRangeSeqs(db, tenant, filter) : undefined;
  if (bounds === null) return;
  let after = bounds ? bounds.lo - 1 : 0;
  const last = bounds ? Math.min(bounds.hi, upToSeq) : upToSeq;
  const where = whereOf(tenant, filter);
  for (;;) {
    const rows = await db
      .em()
      .find(
        AuditRecord,
        { ...where, seq: { $gt: after, $lte: last } },
        { orderBy: { seq: "asc" }, limit: batchSize },
      );
    if (rows.length === 0) return;
    yield rows;
    after = Number(rows[rows.length - 1]!.seq);
    if (rows.length < batchSize) return;
  }
}
