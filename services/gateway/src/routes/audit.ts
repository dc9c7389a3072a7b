import type { auditV1 } from "@latchflow/proto";
import { Scope } from "@latchflow/runtime";
import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { defineRoute } from "../route.js";
import { errorResponses, PageQuery } from "../schemas.js";

const AuditRecord = z
  .object({
    id: z.string().meta({ description: "The event id (ULID)" }),
    type: z.string(),
    occurredAt: z.iso.datetime(),
    recordedAt: z.iso.datetime(),
    actor: z.object({ kind: z.string(), id: z.string() }),
    subjectIds: z.record(z.string(), z.string()),
    requestId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "AuditRecord" });

const AuditQuery = PageQuery.extend({
  type: z
    .string()
    .regex(/^[a-z0-9.-]{1,120}$/, "must be an event type or a prefix of one")
    .optional()
    .meta({ description: "Event type or type prefix, e.g. `bundles.` or `bundles.bundle.created`" }),
});

function toRest(r: auditV1.AuditRecord) {
  return {
    id: r.id,
    type: r.type,
    occurredAt: r.occurredAt?.toISOString(),
    recordedAt: r.recordedAt?.toISOString(),
    actor: { kind: r.actorKind, id: r.actorId },
    subjectIds: r.subjectIds,
    requestId: r.requestId || null,
    data: JSON.parse(r.dataJson || "{}") as Record<string, unknown>,
  };
}

export function auditRoutes(clients: GatewayClients) {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/audit",
      operationId: "listAuditRecords",
      summary: "Audit records, newest first",
      tag: "audit",
      access: { kind: "user", scope: Scope.AuditRead },
      query: AuditQuery,
      responses: {
        200: {
          description: "A page of audit records",
          schema: z.object({ items: z.array(AuditRecord), nextCursor: z.string().nullable() }),
        },
        ...errorResponses,
      },
      handler: async ({ query, ctx }) => {
        const res = await clients.audit.listEvents(
          { typePrefix: query.type ?? "", page: { cursor: query.cursor ?? "", limit: query.limit ?? 0 } },
          ctx,
        );
        return {
          status: 200,
          body: { items: res.records.map(toRest), nextCursor: res.page?.nextCursor || null },
        };
      },
    }),
  ];
}
