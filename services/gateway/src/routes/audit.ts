import { auditV1 } from "@latchflow/proto";
import { Scope } from "@latchflow/runtime";
import { z } from "zod";
import { auditRecordToRest, checkpointToRest, exportBody, openExport } from "../audit-export.js";
import type { GatewayClients } from "../clients.js";
import { defineRoute } from "../route.js";
import { ErrorResponse, errorResponses, PageQuery } from "../schemas.js";

const tag = "audit";
const access = { kind: "user", scope: Scope.AuditRead } as const;

const AuditRecord = z
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

const Checkpoint = z
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

const PublicKey = z
  .object({ keyId: z.string(), algorithm: z.literal("ed25519"), pem: z.string() })
  .meta({ id: "AuditPublicKey" });

const VerifyResult = z
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
        reason: z.enum([
          "hash_mismatch",
          "link_mismatch",
          "gap",
          "out_of_order",
          "index_mismatch",
          "truncated",
          "checkpoint_mismatch",
          "checkpoint_signature_invalid",
          "checkpoint_missing",
        ]),
        message: z.string(),
      })
      .optional(),
  })
  .meta({ id: "AuditVerification" });

const subjectId = (what: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,200}$/, "must be an id")
    .optional()
    .meta({ description: `Only records about this ${what} (its id in the event's subject ids)` });

const filterFields = {
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

type FilterQuery = { [K in keyof typeof filterFields]?: string };

const fromBeforeTo = (q: FilterQuery) => !q.from || !q.to || new Date(q.from) < new Date(q.to);
const rangeIssue = { message: "from must be before to", path: ["from"] };

const AuditQuery = PageQuery.extend(filterFields).refine(fromBeforeTo, rangeIssue);
const ExportQuery = z
  .strictObject({
    ...filterFields,
    format: z.enum(["ndjson", "csv"]).default("ndjson").meta({ description: "`ndjson` (default) or `csv`" }),
  })
  .refine(fromBeforeTo, rangeIssue);

function toFilter(q: FilterQuery): auditV1.AuditFilter {
  const [actorKind = "", ...actorId] = q.actor?.split(":") ?? [];
  return auditV1.AuditFilter.fromPartial({
    typePrefix: q.type ?? "",
    bundleId: q.bundle ?? "",
    recipientId: q.recipient ?? "",
    pipelineId: q.pipeline ?? "",
    triggerId: q.trigger ?? "",
    fileId: q.file ?? "",
    assignmentId: q.assignment ?? "",
    actorKind,
    actorId: actorId.join(":"),
    ...(q.from ? { occurredFrom: new Date(q.from) } : {}),
    ...(q.to ? { occurredTo: new Date(q.to) } : {}),
  });
}

/** Only the filters that were set, as given (recorded in an export's header). */
function setFilters(q: FilterQuery): Record<string, string> {
  return Object.fromEntries(
    Object.keys(filterFields).flatMap((k) => {
      const v = q[k as keyof FilterQuery];
      return v === undefined ? [] : [[k, v]];
    }),
  );
}

/** Verifying walks the whole chain: allow it more than the default deadline. */
const VERIFY_DEADLINE_MS = 10 * 60_000;
const EXPORT_DEADLINE_MS = 6 * 3600_000;

export function auditRoutes(clients: GatewayClients) {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/audit",
      operationId: "listAuditRecords",
      summary: "Audit records, newest first (by seq), filtered",
      tag,
      access,
      query: AuditQuery,
      responses: {
        200: {
          description:
            "A page of audit records; the cursor is the last seq, so concurrent appends never shift a page",
          schema: z.object({ items: z.array(AuditRecord), nextCursor: z.string().nullable() }),
        },
        ...errorResponses,
      },
      handler: async ({ query, ctx }) => {
        const res = await clients.audit.listEvents(
          { filter: toFilter(query), page: { cursor: query.cursor ?? "", limit: query.limit ?? 0 } },
          ctx,
        );
        return {
          status: 200,
          body: { items: res.records.map(auditRecordToRest), nextCursor: res.page?.nextCursor || null },
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/audit/export",
      operationId: "exportAuditRecords",
      summary: "Export audit records, oldest first, as NDJSON (with checkpoints) or CSV, streamed",
      tag,
      access,
      query: ExportQuery,
      responses: {
        200: {
          description:
            "NDJSON: a header line (tenant, head, public key, filters), the signed checkpoints, then one line per " +
            "record. CSV: a header row, then one row per record. Records up to the head at the start of the export.",
        },
        ...errorResponses,
      },
      handler: async ({ query, ctx, koa }) => {
        const { metadata, options } = clients.audit.$callOptions(ctx, { deadlineMs: EXPORT_DEADLINE_MS });
        const call = clients.audit.$raw.exportEvents({ filter: toFilter(query) }, metadata, options);
        const { header, rest } = await openExport(call);
        const day = (header.exportedAt ?? new Date()).toISOString().slice(0, 10);
        koa.set(
          "Content-Disposition",
          `attachment; filename="audit-${header.tenant}-${day}.${query.format}"`,
        );
        koa.type = query.format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8";
        return { status: 200, stream: exportBody(query.format, header, setFilters(query), rest, call) };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/audit/verify",
      operationId: "verifyAuditChain",
      summary: "Verify the tenant's audit hash chain and its signed checkpoints",
      tag,
      access,
      responses: {
        200: {
          description: "The verification (ok: false names the first broken record)",
          schema: VerifyResult,
        },
        ...errorResponses,
      },
      handler: async ({ ctx }) => {
        const r = await clients.audit.verifyAuditChain({}, ctx, { deadlineMs: VERIFY_DEADLINE_MS });
        return {
          status: 200,
          body: {
            ok: r.ok,
            checked: r.checked,
            head: { seq: r.headSeq, hash: r.headHash },
            checkpoints: {
              verified: r.checkpointsVerified,
              skipped: r.checkpointsSkipped,
              anchoredSeq: r.anchoredSeq,
              notYetCheckpointed:
                r.ok && r.headSeq > r.anchoredSeq ? { from: r.anchoredSeq + 1, to: r.headSeq } : null,
            },
            ...(r.firstBroken ? { firstBroken: r.firstBroken } : {}),
          },
        };
      },
    }),
    defineRoute({
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
            publicKey: PublicKey,
            items: z.array(Checkpoint),
            nextCursor: z.string().nullable(),
          }),
        },
        ...errorResponses,
      },
      handler: async ({ query, ctx }) => {
        const res = await clients.audit.listCheckpoints(
          { page: { cursor: query.cursor ?? "", limit: query.limit ?? 0 } },
          ctx,
        );
        return {
          status: 200,
          body: {
            publicKey: res.publicKey,
            items: res.checkpoints.map(checkpointToRest),
            nextCursor: res.page?.nextCursor || null,
          },
        };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/audit/checkpoints",
      operationId: "createAuditCheckpoint",
      summary: "Sign a checkpoint of the chain head now (e.g. before an export)",
      tag,
      access,
      responses: {
        201: { description: "Signed", schema: Checkpoint },
        200: { description: "The head was already checkpointed", schema: Checkpoint },
        409: { description: "The audit log is empty", schema: ErrorResponse },
        ...errorResponses,
      },
      handler: async ({ ctx }) => {
        const res = await clients.audit.createCheckpoint({}, ctx);
        if (!res.checkpoint) throw new Error("CreateCheckpoint returned no checkpoint");
        return { status: res.created ? 201 : 200, body: checkpointToRest(res.checkpoint) };
      },
    }),
  ];
}
