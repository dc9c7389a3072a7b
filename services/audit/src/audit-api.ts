import { once } from "node:events";
import type { auditV1 } from "@latchflow/proto";
import type { ServiceImpl } from "@latchflow/runtime";
import type { AuditLog } from "./audit-log.js";
import type { AuditCheckpoint, AuditRecord } from "./entities.js";
import { compileFilter, isEmptyFilter } from "./query.js";

type Definition = typeof auditV1.AuditServiceService;

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
    seq: Number(r.seq),
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

function checkpointToProto(c: AuditCheckpoint): auditV1.Checkpoint {
  return {
    tenant: c.tenant,
    seq: Number(c.seq),
    hash: c.hash,
    signedAt: c.signedAt,
    keyId: c.keyId,
    signature: c.signature,
  };
}

/** Rejects once the peer cancels; resolves on 'drain'. */
function drained(call: NodeJS.EventEmitter & { readonly cancelled: boolean }): Promise<void> {
  if (call.cancelled) return Promise.reject(new Error("cancelled"));
  const ac = new AbortController();
  return Promise.race([
    once(call, "drain", { signal: ac.signal }).then(() => undefined),
    once(call, "cancelled", { signal: ac.signal }).then(() => {
      throw new Error("cancelled");
    }),
  ]).finally(() => ac.abort());
}

const CHECKPOINTS_PER_MESSAGE = 500;
/** Records per message stay far below gRPC's 4 MiB message limit, whatever the size of their data. */
const MESSAGE_BYTES = 1024 * 1024;

function* bySize(rows: AuditRecord[]): Generator<AuditRecord[]> {
  let part: AuditRecord[] = [];
  let bytes = 0;
  for (const r of rows) {
    const size = r.data.length + r.subjectIds.length + 512;
    if (part.length > 0 && bytes + size > MESSAGE_BYTES) {
      yield part;
      part = [];
      bytes = 0;
    }
    part.push(r);
    bytes += size;
  }
  if (part.length > 0) yield part;
}

/** The audit gRPC API: thin handlers over the audit log; the tenant always comes from the call's context. */
export function createAuditApi(log: AuditLog): ServiceImpl<Definition> {
  const publicKey = {
    keyId: log.publicKey.keyId,
    algorithm: log.publicKey.algorithm,
    pem: log.publicKey.pem,
  };
  return {
    async listEvents(req, ctx) {
      const filter = await log.resolve(ctx.tenant, compileFilter(req.filter));
      const page = await log.list(ctx.tenant, filter, {
        ...(req.page?.cursor ? { cursor: req.page.cursor } : {}),
        ...(req.page?.limit ? { limit: req.page.limit } : {}),
      });
      return {
        records: page.items.map(toProto),
        page: { nextCursor: page.nextCursor },
        labels: await log.labels(ctx.tenant, page.items),
      };
    },

    async exportEvents(call, ctx) {
      const filter = await log.resolve(ctx.tenant, compileFilter(call.request.filter));
      const head = await log.head(ctx.tenant);
      const header: auditV1.ExportHeader = {
        tenant: ctx.tenant,
        exportedAt: new Date(),
        headSeq: head.seq,
        headHash: head.hash,
        complete: isEmptyFilter(filter),
        publicKey,
      };
      const checkpoints = (await log.checkpointsUpTo(ctx.tenant, head.seq)).map(checkpointToProto);
      try {
        if (!call.write({ header, records: [], checkpoints: [] })) await drained(call);
        for (let i = 0; i < checkpoints.length; i += CHECKPOINTS_PER_MESSAGE) {
          const batch = checkpoints.slice(i, i + CHECKPOINTS_PER_MESSAGE);
          if (!call.write({ records: [], checkpoints: batch })) await drained(call);
        }
        for await (const rows of log.batches(ctx.tenant, filter, head.seq)) {
          for (const part of bySize(rows)) {
            if (call.cancelled) return;
            if (!call.write({ records: part.map(toProto), checkpoints: [] })) await drained(call);
          }
        }
      } catch (err) {
        if (call.cancelled) return;
        throw err;
      }
    },

    async verifyAuditChain(_req, ctx) {
      const r = await log.verify(ctx.tenant);
      return {
        ok: r.ok,
        checked: r.checked,
        headSeq: r.headSeq,
        headHash: r.headHash,
        checkpointsVerified: r.checkpointsVerified,
        checkpointsSkipped: r.checkpointsSkipped,
        anchoredSeq: r.anchoredSeq,
        ...(r.firstBroken ? { firstBroken: r.firstBroken } : {}),
      };
    },

    async listCheckpoints(req, ctx) {
      const page = await log.checkpoints(ctx.tenant, {
        ...(req.page?.cursor ? { cursor: req.page.cursor } : {}),
        ...(req.page?.limit ? { limit: req.page.limit } : {}),
      });
      return {
        checkpoints: page.items.map(checkpointToProto),
        page: { nextCursor: page.nextCursor },
        publicKey,
      };
    },

    async createCheckpoint(_req, ctx) {
      const r = await log.checkpoint(ctx.tenant);
      return { checkpoint: checkpointToProto(r.checkpoint), created: r.created };
    },
  };
}
