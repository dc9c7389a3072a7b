import type { auditV1 } from "@latchflow/proto";
import {
  badRequest,
  type Database,
  decodeCursor,
  pageLimit,
  type RequestContext,
  toPage,
} from "@latchflow/runtime";
import { AuditRecord } from "./entities.js";

const TYPE_PREFIX = /^[a-z0-9.-]{0,120}$/;

function toProto(r: AuditRecord): auditV1.AuditRecord {
  return {
    id: r.id,
    type: r.type,
    occurredAt: r.occurredAt,
    recordedAt: r.recordedAt,
    tenant: r.tenant,
    actorKind: r.actorKind,
    actorId: r.actorId,
    subjectIds: JSON.parse(r.subjectIds) as Record<string, string>,
    requestId: r.requestId,
    dataJson: r.data,
  };
}

/** The audit gRPC API: newest first, cursor pagination on the event id. */
export function createAuditApi(db: Database) {
  return {
    async listEvents(
      req: auditV1.ListEventsRequest,
      ctx: RequestContext,
    ): Promise<auditV1.ListEventsResponse> {
      const prefix = req.typePrefix ?? "";
      if (!TYPE_PREFIX.test(prefix))
        throw badRequest("type must be an event type or a prefix of one", { field: "type" });
      const limit = pageLimit(req.page?.limit);
      const before = decodeCursor(req.page?.cursor);
      const rows = await db.em().find(
        AuditRecord,
        {
          tenant: ctx.tenant,
          ...(prefix ? { type: { $like: `${prefix}%` } } : {}),
          ...(before ? { id: { $lt: before } } : {}),
        },
        { orderBy: { id: "desc" }, limit: limit + 1 },
      );
      const page = toPage(rows, limit, (r) => r.id);
      return { records: page.items.map(toProto), page: { nextCursor: page.nextCursor } };
    },
  };
}
