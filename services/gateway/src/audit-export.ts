import { Readable } from "node:stream";
import type { schemas } from "@latchflow/api";
import type { auditV1 } from "@latchflow/proto";
import { fromServiceError } from "@latchflow/runtime";
import { csvLine } from "./csv.js";

/** The REST shape of an audit record (also each record line of an NDJSON export). */
export function auditRecordToRest(r: auditV1.AuditRecord): schemas.AuditRecord {
  return {
    id: r.id,
    tenant: r.tenant,
    seq: r.seq,
    type: r.type,
    occurredAt: r.occurredAt?.toISOString() ?? "",
    recordedAt: r.recordedAt?.toISOString() ?? "",
    actor: { kind: r.actorKind, id: r.actorId },
    subjectIds: r.subjectIds,
    requestId: r.requestId || null,
    data: JSON.parse(r.dataJson || "{}"),
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

export function checkpointToRest(c: auditV1.Checkpoint): schemas.AuditCheckpoint {
  return {
    tenant: c.tenant,
    seq: c.seq,
    hash: c.hash,
    signedAt: c.signedAt?.toISOString() ?? "",
    keyId: c.keyId,
    signature: c.signature,
  };
}

export const AUDIT_CSV_COLUMNS = [
  "seq",
  "id",
  "occurredAt",
  "recordedAt",
  "type",
  "actorKind",
  "actorId",
  "subjectIds",
  "requestId",
  "data",
  "prevHash",
  "hash",
] as const;

function csvRow(r: auditV1.AuditRecord): string {
  return csvLine([
    String(r.seq),
    r.id,
    r.occurredAt?.toISOString() ?? "",
    r.recordedAt?.toISOString() ?? "",
    r.type,
    r.actorKind,
    r.actorId,
    JSON.stringify(r.subjectIds),
    r.requestId,
    r.dataJson,
    r.prevHash,
    r.hash,
  ]);
}

type ServiceError = Parameters<typeof fromServiceError>[0];
const isServiceError = (err: unknown): err is ServiceError => {
  const e = err as { code?: unknown; metadata?: unknown };
  return typeof e.code === "number" && e.metadata !== undefined;
};

/**
 * Reads the first message (the header) of an ExportEvents stream, so a refused export (a bad filter) fails
 * before any byte of the response: it becomes the documented error.
 */
export async function openExport(
  call: AsyncIterable<auditV1.ExportEventsResponse> & { cancel(): void },
): Promise<{ header: auditV1.ExportHeader; rest: AsyncIterator<auditV1.ExportEventsResponse> }> {
  const rest = call[Symbol.asyncIterator]();
  try {
    const first = await rest.next();
    if (first.done || !first.value.header) throw new Error("the export ended before its header");
    return { header: first.value.header, rest };
  } catch (err) {
    call.cancel();
    throw isServiceError(err) ? fromServiceError(err) : err;
  }
}

/**
 * The export body, one chunk per gRPC message, pulled as the client reads (backpressure all the way to the
 * database). NDJSON (ADR 011): a header line, the checkpoints, then one line per record, oldest first.
 * CSV: a header row, then one row per record. Ending early (client gone) cancels the call.
 */
export function exportBody(
  format: "ndjson" | "csv",
  header: auditV1.ExportHeader,
  filters: Record<string, string>,
  rest: AsyncIterator<auditV1.ExportEventsResponse>,
  call: { cancel(): void },
): Readable {
  async function* lines(): AsyncGenerator<string> {
    let finished = false;
    try {
      if (format === "ndjson") {
        yield `${JSON.stringify({
          kind: "header",
          format: "latchflow-audit-export",
          version: 1,
          tenant: header.tenant,
          exportedAt: header.exportedAt?.toISOString() ?? "",
          head: { seq: header.headSeq, hash: header.headHash },
          complete: header.complete,
          filters,
          publicKey: header.publicKey,
        })}\n`;
      } else yield `${csvLine([...AUDIT_CSV_COLUMNS])}\r\n`;
      for (;;) {
        const next = await rest.next();
        if (next.done) break;
        const m = next.value;
        let chunk = "";
        if (format === "ndjson") {
          for (const c of m.checkpoints)
            chunk += `${JSON.stringify({ kind: "checkpoint", ...checkpointToRest(c) })}\n`;
          for (const r of m.records)
            chunk += `${JSON.stringify({ kind: "record", ...auditRecordToRest(r) })}\n`;
        } else for (const r of m.records) chunk += `${csvRow(r)}\r\n`;
        if (chunk) yield chunk;
      }
      finished = true;
    } catch (err) {
      throw isServiceError(err) ? fromServiceError(err) : err;
    } finally {
      if (!finished) call.cancel();
    }
  }
  return Readable.from(lines(), { objectMode: false });
}
