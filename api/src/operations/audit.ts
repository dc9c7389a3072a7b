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

/**
 * How a filter value that may be an id or a name is told apart: a ULID (26 Crockford characters, the first 0-7)
 * is an id, anything else a name (a bundle's name, a pipeline's name, a recipient's or user's email address).
 */
export const AUDIT_ID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
export const isAuditId = (value: string): boolean => AUDIT_ID_PATTERN.test(value);

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
const unknownName =
  'A name no such entity ever had (in the audit log) is refused with 422 (`validation_failed`, an issue at this field), rather than an empty page that looks like "nothing happened".';

/** A name or an id of a subject, resolved by the audit log from the events that named it (ADR 032). */
const subjectRef = (what: string, name: string, shape: z.ZodString) =>
  shape.optional().meta({
    description: `Only records about this ${what}: its id, or its ${name} (every ${what} that ever had it, deleted ones too). ${unknownName}`,
  });

/** A person's email address or id (a ULID). */
const emailOrId = () =>
  z
    .string()
    .trim()
    .min(1)
    .max(320)
    .refine((v) => isAuditId(v) || /^[^\s@]+@[^\s@]+$/.test(v), "must be an email address or an id");

/** The filters of a query or an export (each optional; all of them must hold). */
export const auditFilterFields = {
  type: z
    .string()
    .regex(/^[a-z0-9.-]{1,120}$/, "must be an event type or a prefix of one")
    .optional()
    .meta({ description: "Event type or type prefix, e.g. `bundles.` or `bundles.bundle.created`" }),
  bundle: subjectRef(
    "bundle",
    "name",
    z.string().trim().min(1).max(200).regex(NO_CONTROL, "must be a bundle name or id"),
  ),
  recipient: subjectRef("recipient", "email address", emailOrId()),
  pipeline: subjectRef(
    "pipeline",
    "name",
    z
      .string()
      .regex(
        /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?|[0-7][0-9A-HJKMNP-TV-Z]{25})$/,
        "must be a pipeline name or id",
      ),
  ),
  trigger: subjectId("trigger"),
  file: subjectId("file"),
  assignment: subjectId("assignment"),
  user: subjectRef(
    "user's actions (as the actor, through a session or one of their tokens)",
    "email address",
    emailOrId(),
  ),
  actor: z
    .string()
    .regex(
      /^(user|token|recipient|system|pipeline_run)(:[^\s:][^\s]{0,199})?$/,
      "must be <kind> or <kind>:<id>",
    )
    .optional()
    .meta({ description: "`<kind>` or `<kind>:<id>`, e.g. `user:01J…` or `system` (not with `user`)" }),
  from: z.iso.datetime({ offset: true }).optional().meta({ description: "Occurred at or after (ISO 8601)" }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: "Occurred before (ISO 8601)" }),
};
export type AuditFilter = { [K in keyof typeof auditFilterFields]?: string };

const fromBeforeTo = (q: AuditFilter) => !q.from || !q.to || new Date(q.from) < new Date(q.to);
const rangeIssue = { message: "from must be before to", path: ["from"] };
const userOrActor = (q: AuditFilter) => !q.user || !q.actor;
const userActorIssue = { message: "give user or actor, not both", path: ["user"] };

export const listAuditRecords = defineOperation({
  method: "get",
  path: "/api/v1/audit",
  operationId: "listAuditRecords",
  summary: "Audit records, newest first (by seq), filtered",
  tag,
  access,
  query: PageQuery.extend({
    ...auditFilterFields,
    seq: z.coerce.number().int().min(1).optional().meta({
      description:
        "Start at this record (its seq): it and the older ones, newest first — a link to one record, e.g. the first broken one. Ignored with a cursor",
    }),
  })
    .refine(fromBeforeTo, rangeIssue)
    .refine(userOrActor, userActorIssue),
  responses: {
    200: {
      description:
        "A page of audit records; the cursor is the last seq, so concurrent appends never shift a page",
      schema: z.object({
        items: z.array(AuditRecord),
        nextCursor: z.string().nullable(),
        labels: z.record(z.string(), z.string()).meta({
          description:
            "What the page's actors and subjects are called, as the audit log last recorded it, keyed `<kind>:<id>` (`user`, `recipient`, `bundle`, `pipeline`): a user's or recipient's email address, a bundle's or pipeline's name. Ids the log never saw named are absent",
        }),
      }),
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
    .refine(fromBeforeTo, rangeIssue)
    .refine(userOrActor, userActorIssue),
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
