import type { EventEnvelope, EventType } from "@latchflow/bus";
import { defineEntity, type InferEntity, p } from "@mikro-orm/core";
import { appendEvents, type ChainDeps } from "./append.js";

/** A row of the first, unchained table (migration 0001), kept until it is moved into the chain. */
export const LegacyAuditRecord = defineEntity({
  name: "LegacyAuditRecord",
  tableName: "audit_records",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    type: p.string().length(120),
    occurredAt: p.datetime().fieldName("occurred_at"),
    recordedAt: p.datetime().fieldName("recorded_at"),
    actorKind: p.string().length(20).fieldName("actor_kind"),
    actorId: p.string().length(200).fieldName("actor_id"),
    subjectIds: p.text().fieldName("subject_ids"),
    requestId: p.string().length(100).default("").fieldName("request_id"),
    data: p.text(),
  },
});
export type LegacyAuditRecord = InferEntity<typeof LegacyAuditRecord>;

function parseObject(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Moves records stored before the hash chain existed into it, oldest (lowest id) first, then deletes them.
 * Safe to run by several replicas at once and to interrupt: appending is idempotent on the event id.
 */
export async function chainLegacyRecords(deps: ChainDeps, batchSize = 500): Promise<number> {
  let moved = 0;
  for (;;) {
    const rows = await deps.db.em().find(LegacyAuditRecord, {}, { orderBy: { id: "asc" }, limit: batchSize });
    if (rows.length === 0) return moved;
    const events: EventEnvelope[] = rows.map((r) => ({
      id: r.id,
      type: r.type as EventType,
      occurredAt: r.occurredAt.toISOString(),
      tenant: r.tenant,
      actor: { kind: r.actorKind as EventEnvelope["actor"]["kind"], id: r.actorId },
      subjectIds: parseObject(r.subjectIds) as Record<string, string>,
      ...(r.requestId ? { requestId: r.requestId } : {}),
      data: parseObject(r.data) as EventEnvelope["data"],
    }));
    await appendEvents(deps, events);
    await deps.db.em().nativeDelete(LegacyAuditRecord, { id: { $in: rows.map((r) => r.id) } });
    moved += rows.length;
  }
}
