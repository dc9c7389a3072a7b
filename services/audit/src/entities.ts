import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

/** One audited event, append-only. The id is the event's id, so a redelivered event is stored once. */
export const AuditRecord = defineEntity({
  name: "AuditRecord",
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
export type AuditRecord = InferEntity<typeof AuditRecord>;
