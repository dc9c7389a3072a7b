import { type AuditBreakReason, isAuditId, operations, type schemas } from "@latchflow/api";
import { auditV1 } from "@latchflow/proto";
import { encodeCursor } from "@latchflow/runtime";
import { auditRecordToRest, checkpointToRest, exportBody, openExport } from "../audit-export.js";
import type { GatewayClients } from "../clients.js";
import { implement } from "../route.js";

type FilterQuery = schemas.AuditFilter;

function verificationToRest(r: auditV1.VerifyAuditChainResponse): schemas.AuditVerification {
  return {
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
    ...(r.firstBroken
      ? {
          firstBroken: {
            ...r.firstBroken,
            // the audit service names its breaks with the contract's AuditBreakReason
            reason: r.firstBroken.reason as AuditBreakReason,
          },
        }
      : {}),
  };
}

function publicKeyToRest(k: auditV1.AuditPublicKey | undefined): schemas.AuditPublicKey {
  if (k?.algorithm !== "ed25519") throw new Error("the audit service answered without its ed25519 key");
  return { keyId: k.keyId, algorithm: k.algorithm, pem: k.pem };
}

/** An id (a ULID) goes to the id field, anything else to the name field the audit log resolves (ADR 032). */
function idOrName(value: string | undefined): { id: string; name: string } {
  if (value === undefined) return { id: "", name: "" };
  return isAuditId(value) ? { id: value, name: "" } : { id: "", name: value };
}

function toFilter(q: FilterQuery): auditV1.AuditFilter {
  const [actorKind = "", ...actorId] = q.actor?.split(":") ?? [];
  const bundle = idOrName(q.bundle);
  const recipient = idOrName(q.recipient);
  const pipeline = idOrName(q.pipeline);
  const user = idOrName(q.user);
  return auditV1.AuditFilter.fromPartial({
    typePrefix: q.type ?? "",
    bundleId: bundle.id,
    bundleName: bundle.name,
    recipientId: recipient.id,
    recipientEmail: recipient.name,
    pipelineId: pipeline.id,
    pipelineName: pipeline.name,
    triggerId: q.trigger ?? "",
    fileId: q.file ?? "",
    assignmentId: q.assignment ?? "",
    userEmail: user.name,
    actorKind: user.id ? "user" : actorKind,
    actorId: user.id || actorId.join(":"),
    ...(q.from ? { occurredFrom: new Date(q.from) } : {}),
    ...(q.to ? { occurredTo: new Date(q.to) } : {}),
  });
}

/** Only the filters that were set, as given (recorded in an export's header). */
function setFilters({
  format: _format,
  ...filters
}: FilterQuery & { format: string }): Record<string, string> {
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
}

/** Verifying walks the whole chain: allow it more than the default deadline. */
const VERIFY_DEADLINE_MS = 10 * 60_000;
const EXPORT_DEADLINE_MS = 6 * 3600_000;

export function auditRoutes(clients: GatewayClients) {
  return [
    implement(operations.listAuditRecords, async ({ query, ctx }) => {
      // a start seq is the cursor of the page that ends just above it
      const cursor = query.cursor ?? (query.seq ? encodeCursor(String(query.seq + 1)) : "");
      const res = await clients.audit.listEvents(
        { filter: toFilter(query), page: { cursor, limit: query.limit ?? 0 } },
        ctx,
      );
      return {
        status: 200,
        body: {
          items: res.records.map(auditRecordToRest),
          nextCursor: res.page?.nextCursor || null,
          labels: res.labels,
        },
      };
    }),
    implement(operations.exportAuditRecords, async ({ query, ctx, koa }) => {
      const { metadata, options } = clients.audit.$callOptions(ctx, { deadlineMs: EXPORT_DEADLINE_MS });
      const call = clients.audit.$raw.exportEvents({ filter: toFilter(query) }, metadata, options);
      const { header, rest } = await openExport(call);
      const day = (header.exportedAt ?? new Date()).toISOString().slice(0, 10);
      koa.set("Content-Disposition", `attachment; filename="audit-${header.tenant}-${day}.${query.format}"`);
      koa.type = query.format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8";
      return { status: 200, stream: exportBody(query.format, header, setFilters(query), rest, call) };
    }),
    implement(operations.verifyAuditChain, async ({ ctx }) => {
      const r = await clients.audit.verifyAuditChain({}, ctx, { deadlineMs: VERIFY_DEADLINE_MS });
      return { status: 200, body: verificationToRest(r) };
    }),
    implement(operations.listAuditCheckpoints, async ({ query, ctx }) => {
      const res = await clients.audit.listCheckpoints(
        { page: { cursor: query.cursor ?? "", limit: query.limit ?? 0 } },
        ctx,
      );
      return {
        status: 200,
        body: {
          publicKey: publicKeyToRest(res.publicKey),
          items: res.checkpoints.map(checkpointToRest),
          nextCursor: res.page?.nextCursor || null,
        },
      };
    }),
    implement(operations.createAuditCheckpoint, async ({ ctx }) => {
      const res = await clients.audit.createCheckpoint({}, ctx);
      if (!res.checkpoint) throw new Error("CreateCheckpoint returned no checkpoint");
      return { status: res.created ? 201 : 200, body: checkpointToRest(res.checkpoint) };
    }),
  ];
}
