import { z } from "zod";
import { ErrorBody, errorResponses, PageQuery } from "../common.js";
import { defineOperation } from "../operation.js";
import { AuditBreakReason } from "../reasons.js";
import { Scope } from "../scopes.js";

// The tenant's append-only audit log: queries, streamed exports, hash-chain verification, signed checkpoints.

const tag = "audit";
const access = { kind: "user", scope: Scope.AuditRead } as const;

export const AuditRecord = z
  .object({
    id: z.string().meta({ description: "The event id (ULID)" }),
    tenant: z.string(),
    seq: z
      .number()
      .int()
      .meta({ description: "Position in the tenant's hash chain: 1, 2, 3, … without gaps" }),
    type: z.string(),
    occurredAt: z.iso.datetime(),
    recordedAt: z.iso.datetime(),
    actor: z.object({
      kind: z.string().meta({ description: "user | token | recipient | system | pipeline_run" }),
      id: z.string(),
    }),
    subjectIds: z.record(z.string(), z.string()),
    requestId: z.string().nullable(),
    data: z.unknown(),
    prevHash: z.string().meta({ description: "Hash of the previous record (64 zeros before the first)" }),
    hash: z.string().meta({ description: "sha256(prevHash bytes ‖ canonical record), hex (ADR 011)" }),
  })
  .meta({ id: "AuditRecord" });
export type AuditRecord = z.output<typeof AuditRecord>;

export const AuditCheckpoint = z
  .object({
    tenant: z.string(),
    seq: z.number().int(),
    hash: z.string().meta({ description: "The hash of the record at seq" }),
    signedAt: z.iso.datetime(),
    keyId: z.string(),
    signature: z
      .string()
      .meta({ description: "Base64 Ed25519 signature of the checkpoint statement (ADR 011)" }),
  })
  .meta({ id: "AuditCheckpoint" });
export type AuditCheckpoint = z.output<typeof AuditCheckpoint>;

export const AuditPublicKey = z
  .object({ keyId: z.string(), algorithm: z.literal("ed25519"), pem: z.string() })
  .meta({ id: "AuditPublicKey" });
export type AuditPublicKey = z.output<typeof AuditPublicKey>;

export const AuditVerification = z
  .object({
    ok: z.boolean(),
    checked: z.number().int().meta({ description: "Records checked" }),
    head: z.object({ seq: z.number().int(), hash: z.string() }),
    checkpoints: z.object({
      verified: z.number().int(),
      skipped: z.number().int().meta({ description: "Signed by another key than the current one" }),
      anchoredSeq: z.number().int().meta({ description: "Latest verified checkpoint (0 = none)" }),
      notYetCheckpointed: z.object({ from: z.number().int(), to: z.number().int() }).nullable().meta({
        description:
          "When ok: the records after the last checkpoint (anchoredSeq+1 … head), verified by the chain only. A checkpoint is expected at every multiple of LATCHFLOW_AUDIT_CHECKPOINT_EVERY; a missing one is checkpoint_missing",
      }),
    }),
    firstBroken: z
      .object({
        seq: z.number().int(),
        id: z.string().meta({ description: "The record found there; empty when it is missing" }),
        reason: z.enum(Object.values(AuditBreakReason) as [AuditBreakReason, ...AuditBreakReason[]]),
        message: z.string(),
      })
      .optional(),
  })
  .meta({ id: "AuditVerification" });
export type AuditVerification = z.output<typeof AuditVerification>;

const subjectId = (what: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,200}$/, "must be an id")
    .optional()
    .meta({ description: `Only records about this ${what} (its id in the event's subject ids)` });

/** The filters of a query or an export (each optional; all of them must hold). */
export const auditFilterFields = {
  type: z
    .string()
    .regex(/^[a-z0-9.-]{1,120}$/, "must be an event type or a prefix of one")
    .optional()
    .meta({ description: "Event type or type prefix, e.g. `bundles.` or `bundles.bundle.created`" }),
  bundle: subjectId("bundle"),
  recipient: subjectId("recipient"),
  pipeline: subjectId("pipeline"),
  trigger: subjectId("trigger"),
  file: subjectId("file"),
  assignment: subjectId("assignment"),
  actor: z
    .string()
    .regex(
      /^(user|token|recipient|system|pipeline_run)(:[^\s:][^\s]{0,199})?$/,
      "must be <kind> or <kind>:<id>",
    )
    .optional()
    .meta({ description: "`<kind>` or `<kind>:<id>`, e.g. `user:01J…` or `system`" }),
  from: z.iso.datetime({ offset: true }).optional().meta({ description: "Occurred at or after (ISO 8601)" }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: "Occurred before (ISO 8601)" }),
};
export type AuditFilter = { [K in keyof typeof auditFilterFields]?: string };

const fromBeforeTo = (q: AuditFilter) => !q.from || !q.to || new Date(q.from) < new Date(q.to);
const rangeIssue = { message: "from must be before to", path: ["from"] };

export const listAuditRecords = defineOperation({
  method: "get",
  path: "/api/v1/audit",
  operationId: "listAuditRecords",
  summary: "Audit records, newest first (by seq), filtered",
  tag,
  access,
  query: PageQuery.extend(auditFilterFields).refine(fromBeforeTo, rangeIssue),
  responses: {
    200: {
      description:
        "A page of audit records; the cursor is the last seq, so concurrent appends never shift a page",
      schema: z.object({ items: z.array(AuditRecord), nextCursor: z.string().nullable() }),
    },
    ...errorResponses,
  },
});

export const exportAuditRecords = defineOperation({
  method: "get",
  path: "/api/v1/audit/export",
  operationId: "exportAuditRecords",
  summary: "Export audit records, oldest first, as NDJSON (with checkpoints) or CSV, streamed",
  tag,
  access,
  query: z
    .strictObject({
      ...auditFilterFields,
      format: z
        .enum(["ndjson", "csv"])
        .default("ndjson")
        .meta({ description: "`ndjson` (default) or `csv`" }),
    })
    .refine(fromBeforeTo, rangeIssue),
  responses: {
    200: {
      description:
        "An attachment. NDJSON (application/x-ndjson): a header line (tenant, head, public key, filters), the signed checkpoints, then one line per " +
        "record. CSV (text/csv, ?format=csv): a header row, then one row per record. Records up to the head at the start of the export.",
      media: ["application/x-ndjson", "text/csv"],
    },
    ...errorResponses,
  },
});

export const verifyAuditChain = defineOperation({
  method: "get",
  path: "/api/v1/audit/verify",
  operationId: "verifyAuditChain",
  summary: "Verify the tenant's audit hash chain and its signed checkpoints",
  tag,
  access,
  responses: {
    200: {
      description: "The verification (ok: false names the first broken record)",
      schema: AuditVerification,
    },
    ...errorResponses,
  },
});

export const listAuditCheckpoints = defineOperation({
  method: "get",
  path: "/api/v1/audit/checkpoints",
  operationId: "listAuditCheckpoints",
  summary: "Signed checkpoints of the audit chain, newest first, with the public key that verifies them",
  tag,
  access,
  query: PageQuery,
  responses: {
    200: {
      description: "A page of checkpoints",
      schema: z.object({
        publicKey: AuditPublicKey,
        items: z.array(AuditCheckpoint),
        nextCursor: z.string().nullable(),
      }),
    },
    ...errorResponses,
  },
});

export const createAuditCheckpoint = defineOperation({
  method: "post",
  path: "/api/v1/audit/checkpoints",
  operationId: "createAuditCheckpoint",
  summary: "Sign a checkpoint of the chain head now (e.g. before an export)",
  tag,
  access,
  responses: {
    201: { description: "Signed", schema: AuditCheckpoint },
    200: { description: "The head was already checkpointed", schema: AuditCheckpoint },
    409: { description: "The audit log is empty", schema: ErrorBody },
    ...errorResponses,
  },
});
