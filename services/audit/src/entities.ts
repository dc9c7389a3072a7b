import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

/**
 * One audited event in its tenant's hash chain, append-only. The id is the event's id, so a redelivered
 * event is stored once; `seq` numbers a tenant's records 1, 2, 3, … and `hash` chains each to the one before
 * (docs/adr/011-audit-hash-chain.md). The `*Id` subject columns are copies of `subjectIds` for the filters.
 */
export const AuditRecord = defineEntity({
  name: "AuditRecord",
  tableName: "audit_log",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    seq: p.bigint("number"),
    type: p.string().length(120),
    occurredAt: p.datetime().fieldName("occurred_at"),
    recordedAt: p.datetime().fieldName("recorded_at"),
    actorKind: p.string().length(20).fieldName("actor_kind"),
    actorId: p.string().length(200).fieldName("actor_id"),
    /** JSON object of the event's subject ids */
    subjectIds: p.text().fieldName("subject_ids"),
    bundleId: p.string().length(200).nullable().fieldName("bundle_id"),
    recipientId: p.string().length(200).nullable().fieldName("recipient_id"),
    pipelineId: p.string().length(200).nullable().fieldName("pipeline_id"),
    triggerId: p.string().length(200).nullable().fieldName("trigger_id"),
    fileId: p.string().length(200).nullable().fieldName("file_id"),
    assignmentId: p.string().length(200).nullable().fieldName("assignment_id"),
    requestId: p.string().length(100).default("").fieldName("request_id"),
    /** JSON of the event's data */
    data: p.text(),
    prevHash: p.string().length(64).fieldName("prev_hash"),
    hash: p.string().length(64),
  },
});
export type AuditRecord = InferEntity<typeof AuditRecord>;

/** The last record of a tenant's chain; its row lock serializes appends across replicas. */
export const ChainHead = defineEntity({
  name: "ChainHead",
  tableName: "audit_chain_heads",
  properties: {
    tenant: p.string().primary().length(63),
    seq: p.bigint("number"),
    hash: p.string().length(64),
    updatedAt: p.datetime().fieldName("updated_at"),
  },
});
export type ChainHead = InferEntity<typeof ChainHead>;

/** A signed statement "the chain of `tenant` had `hash` at `seq`" (ADR 011). */
export const AuditCheckpoint = defineEntity({
  name: "AuditCheckpoint",
  tableName: "audit_checkpoints",
  uniques: [{ properties: ["tenant", "seq"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    seq: p.bigint("number"),
    hash: p.string().length(64),
    signedAt: p.datetime().fieldName("signed_at"),
    keyId: p.string().length(16).fieldName("key_id"),
    /** base64 Ed25519 signature of the canonical checkpoint message */
    signature: p.string().length(100),
  },
});
export type AuditCheckpoint = InferEntity<typeof AuditCheckpoint>;
