import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { AuditPublicKey } from "./signing.js";
import {
  ChainVerifier,
  type VerifiableCheckpoint,
  type VerifiableRecord,
  type VerifyResult,
} from "./verify.js";

/** `format` of the header line of an NDJSON export (ADR 011). */
export const EXPORT_FORMAT = "latchflow-audit-export";
export const EXPORT_VERSION = 1;

export interface ExportFileResult extends VerifyResult {
  tenant: string;
  /** the header says the export is unfiltered (the whole chain up to its head) */
  complete: boolean;
}

export class ExportFileError extends Error {
  readonly code = "invalid_export";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ExportFileError";
  }
}

type Line = Record<string, unknown> & { kind?: unknown };

async function* lines(path: string): AsyncGenerator<{ n: number; value: Line }> {
  const rl = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const text of rl) {
    n++;
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new ExportFileError(`line ${n} is not JSON`, { cause: err });
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new ExportFileError(`line ${n} is not a JSON object`);
    yield { n, value: value as Line };
  }
}

const str = (v: unknown, what: string, n: number): string => {
  if (typeof v !== "string") throw new ExportFileError(`line ${n}: ${what} must be a string`);
  return v;
};
const num = (v: unknown, what: string, n: number): number => {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    throw new ExportFileError(`line ${n}: ${what} must be a whole number`);
  return v;
};
const date = (v: unknown, what: string, n: number): Date => {
  const d = new Date(str(v, what, n));
  if (Number.isNaN(d.getTime())) throw new ExportFileError(`line ${n}: ${what} must be a date`);
  return d;
};

function checkpointOf(l: Line, n: number): VerifiableCheckpoint {
  return {
    tenant: str(l.tenant, "tenant", n),
    seq: num(l.seq, "seq", n),
    hash: str(l.hash, "hash", n),
    signedAt: date(l.signedAt, "signedAt", n),
    keyId: str(l.keyId, "keyId", n),
    signature: str(l.signature, "signature", n),
  };
}

/** A record line (the REST record shape) as the verifier sees it; missing fields count as changed content. */
function recordOf(l: Line, n: number): VerifiableRecord {
  const base = {
    seq: num(l.seq, "seq", n),
    id: str(l.id, "id", n),
    prevHash: str(l.prevHash, "prevHash", n),
    hash: str(l.hash, "hash", n),
  };
  try {
    const actor = l.actor as { kind?: unknown; id?: unknown } | undefined;
    const subjectIds = l.subjectIds;
    if (typeof subjectIds !== "object" || subjectIds === null)
      throw new ExportFileError("subjectIds missing");
    return {
      ...base,
      fields: {
        tenant: str(l.tenant, "tenant", n),
        seq: base.seq,
        id: base.id,
        type: str(l.type, "type", n),
        occurredAt: date(l.occurredAt, "occurredAt", n),
        recordedAt: date(l.recordedAt, "recordedAt", n),
        actor: { kind: str(actor?.kind, "actor.kind", n), id: str(actor?.id, "actor.id", n) },
        subjectIds: subjectIds as Record<string, string>,
        requestId: l.requestId === null ? "" : str(l.requestId, "requestId", n),
        data: l.data,
      },
    };
  } catch (err) {
    return { ...base, unreadable: (err as Error).message };
  }
}

/**
 * Verifies an NDJSON export offline against a public key obtained out of band (never the one in the file):
 * a first pass reads the header and the checkpoints, a second streams the records through the same
 * {@link ChainVerifier} the service uses. Only a complete (unfiltered) export can verify end to end.
 */
export async function verifyExportFile(
  path: string,
  publicKey: AuditPublicKey,
  /** the service's `LATCHFLOW_AUDIT_CHECKPOINT_EVERY`: a checkpoint is expected at each multiple */
  checkpointEvery: number,
): Promise<ExportFileResult> {
  let header: { tenant: string; complete: boolean; head: { seq: number; hash: string } } | undefined;
  const checkpoints: VerifiableCheckpoint[] = [];
  for await (const { n, value } of lines(path)) {
    if (value.kind === "header") {
      if (value.format !== EXPORT_FORMAT || value.version !== EXPORT_VERSION)
        throw new ExportFileError(`line ${n}: not a ${EXPORT_FORMAT} v${EXPORT_VERSION} header`);
      const head = (value.head ?? {}) as { seq?: unknown; hash?: unknown };
      header = {
        tenant: str(value.tenant, "tenant", n),
        complete: value.complete === true,
        head: { seq: num(head.seq, "head.seq", n), hash: str(head.hash, "head.hash", n) },
      };
    } else if (value.kind === "checkpoint") checkpoints.push(checkpointOf(value, n));
  }
  if (!header) throw new ExportFileError(`no ${EXPORT_FORMAT} header line`);
  const verifier = new ChainVerifier(header.tenant, checkpoints, publicKey, checkpointEvery);
  for await (const { n, value } of lines(path)) {
    if (value.kind === "record" && !verifier.record(recordOf(value, n))) break;
  }
  return { ...verifier.finish(header.head), tenant: header.tenant, complete: header.complete };
}
