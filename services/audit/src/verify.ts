import { AuditBreakReason as BreakReason } from "@latchflow/api";
import type { Database } from "@latchflow/runtime/db";
import { type CanonicalParts, type ChainedRecord, GENESIS_HASH, recordHash } from "./canonical.js";
import { checkpointsUpTo } from "./checkpoints.js";
import { AuditRecord, ChainHead } from "./entities.js";
import { chainedFromRow, INDEXED_SUBJECTS, subjectColumns } from "./record.js";
import { type AuditPublicKey, verifyCheckpointSignature } from "./signing.js";

/** Why the chain does not verify: the contract's list (`verify` answers with the first break). */
export { BreakReason };

export interface ChainBreak {
  seq: number;
  /** the record found at (or, for a gap, right after) seq; "" when there is none */
  id: string;
  reason: BreakReason;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  headSeq: number;
  headHash: string;
  checkpointsVerified: number;
  /** checkpoints signed by another key than the one given (not checked) */
  checkpointsSkipped: number;
  /**
   * seq of the latest checkpoint that verified (0 = none). When ok, records `anchoredSeq`+1 … `headSeq` come
   * after the last expected checkpoint: chain-verified, not yet checkpointed.
   */
  anchoredSeq: number;
  firstBroken?: ChainBreak;
}

/** A record as the verifier sees it: the chained fields, or why they could not be read. */
export type VerifiableRecord = { seq: number; id: string; prevHash: string; hash: string } & (
  | {
      fields: ChainedRecord;
      /** the stored canonical data and subject ids, hashed as they are (any change to the text shows) */
      parts?: CanonicalParts;
    }
  | { unreadable: string }
);

export interface VerifiableCheckpoint {
  tenant: string;
  seq: number;
  hash: string;
  signedAt: Date;
  keyId: string;
  signature: string;
}

/**
 * Checks a chain fed oldest first, stopping at the first problem: every record's hash, its link to the one
 * before, no missing numbers, each checkpoint (given up front) against its signature and the record at its
 * seq, and that every multiple of `checkpointEvery` has a checkpoint signed by the key (the appender signs
 * one there: a missing one means checkpoints were deleted, e.g. to hide a rewritten chain). Records after the
 * last multiple (after `anchoredSeq`) are chain-verified only: not yet checkpointed. The same code checks the
 * database and export files.
 */
export class ChainVerifier {
  #lastSeq = 0;
  #lastHash = GENESIS_HASH;
  #checked = 0;
  #verified = 0;
  #skipped = 0;
  #anchored = 0;
  #broken: ChainBreak | undefined;
  readonly #checkpoints: VerifiableCheckpoint[];
  #next = 0;
  /** seq of the last checkpoint at this record that verified with the key */
  #verifiedAt = 0;

  constructor(
    private readonly tenant: string,
    checkpoints: VerifiableCheckpoint[],
    private readonly publicKey: AuditPublicKey | undefined,
    /** records per expected checkpoint (`LATCHFLOW_AUDIT_CHECKPOINT_EVERY`) */
    private readonly checkpointEvery: number,
  ) {
    if (!Number.isSafeInteger(checkpointEvery) || checkpointEvery < 1)
      throw new RangeError("checkpointEvery must be a positive whole number");
    this.#checkpoints = [...checkpoints].sort((a, b) => a.seq - b.seq);
  }

  get broken(): ChainBreak | undefined {
    return this.#broken;
  }

  /** Feeds the next record; false once the chain is broken (stop feeding). */
  record(r: VerifiableRecord): boolean {
    if (this.#broken) return false;
    const expected = this.#lastSeq + 1;
    if (r.seq < expected) {
      return this.#break(r.seq, r.id, BreakReason.OutOfOrder, `record ${r.id} repeats seq ${r.seq}`);
    }
    if (r.seq > expected) {
      const missing =
        r.seq - 1 === expected ? `record ${expected} is` : `records ${expected}–${r.seq - 1} are`;
      return this.#break(expected, "", BreakReason.Gap, `${missing} missing (next: ${r.id} at ${r.seq})`);
    }
    if ("unreadable" in r) {
      return this.#break(
        r.seq,
        r.id,
        BreakReason.HashMismatch,
        `record ${r.id} was changed: ${r.unreadable}`,
      );
    }
    if (r.fields.tenant !== this.tenant) {
      return this.#break(r.seq, r.id, BreakReason.HashMismatch, `record ${r.id} names another tenant`);
    }
    if (r.prevHash !== this.#lastHash) {
      return this.#break(
        r.seq,
        r.id,
        BreakReason.LinkMismatch,
        `record ${r.id} does not link to the record before it`,
      );
    }
    if (recordHash(r.prevHash, r.fields, r.parts) !== r.hash) {
      return this.#break(
        r.seq,
        r.id,
        BreakReason.HashMismatch,
        `record ${r.id} was changed after it was recorded`,
      );
    }
    this.#lastSeq = r.seq;
    this.#lastHash = r.hash;
    this.#checked++;
    if (!this.#checkpointsAt(r.seq, r.id, r.hash)) return false;
    if (r.seq % this.checkpointEvery === 0 && this.#verifiedAt !== r.seq) {
      const how = this.publicKey ? ` signed by key ${this.publicKey.keyId}` : "";
      return this.#break(
        r.seq,
        r.id,
        BreakReason.CheckpointMissing,
        `the checkpoint${how} expected at ${r.seq} (every ${this.checkpointEvery} records) is missing`,
      );
    }
    return true;
  }

  /** Reports a problem found outside the chain fields (e.g. an index column); stops the walk. */
  fail(seq: number, id: string, reason: BreakReason, message: string): false {
    return this.#break(seq, id, reason, message);
  }

  /** Ends the walk: the head (or the export's head) must be the last record seen. */
  finish(head: { seq: number; hash: string }): VerifyResult {
    if (!this.#broken) {
      const pending = this.#checkpoints[this.#next];
      if (head.seq > this.#lastSeq) {
        this.#break(
          this.#lastSeq + 1,
          "",
          BreakReason.Truncated,
          `records ${this.#lastSeq + 1}–${head.seq} are missing (the head is at ${head.seq})`,
        );
      } else if (pending) {
        this.#break(
          pending.seq,
          "",
          BreakReason.Truncated,
          `a checkpoint signs record ${pending.seq}, which is missing`,
        );
      } else if (head.seq === this.#lastSeq && head.hash !== this.#lastHash) {
        this.#break(head.seq, "", BreakReason.LinkMismatch, "the chain head does not match the last record");
      }
    }
    return {
      ok: !this.#broken,
      checked: this.#checked,
      headSeq: head.seq,
      headHash: head.hash,
      checkpointsVerified: this.#verified,
      checkpointsSkipped: this.#skipped,
      anchoredSeq: this.#anchored,
      ...(this.#broken ? { firstBroken: this.#broken } : {}),
    };
  }

  #checkpointsAt(seq: number, id: string, hash: string): boolean {
    for (let c = this.#checkpoints[this.#next]; c && c.seq <= seq; c = this.#checkpoints[this.#next]) {
      this.#next++;
      if (c.tenant !== this.tenant || !this.publicKey || c.keyId !== this.publicKey.keyId) {
        this.#skipped++;
        continue;
      }
      if (!verifyCheckpointSignature(this.publicKey, c, c.signature)) {
        return this.#break(
          c.seq,
          c.seq === seq ? id : "",
          BreakReason.CheckpointSignatureInvalid,
          `the checkpoint at ${c.seq} is not signed by key ${this.publicKey.keyId}`,
        );
      }
      if (c.hash !== hash) {
        return this.#break(
          c.seq,
          id,
          BreakReason.CheckpointMismatch,
          `the chain at ${c.seq} is not the one the checkpoint signed (records up to ${c.seq} were rewritten)`,
        );
      }
      this.#verified++;
      this.#anchored = c.seq;
      if (c.seq === seq) this.#verifiedAt = seq;
    }
    return true;
  }

  #break(seq: number, id: string, reason: BreakReason, message: string): false {
    this.#broken ??= { seq, id, reason, message };
    return false;
  }
}

/**
 * A stored row as the verifier sees it: its data and subject ids are hashed as stored (they were stored in
 * canonical form), so any edit of their text shows; subject ids that are no longer JSON count as changed.
 */
export function verifiableRow(row: AuditRecord): VerifiableRecord {
  const base = { seq: Number(row.seq), id: row.id, prevHash: row.prevHash, hash: row.hash };
  try {
    return {
      ...base,
      fields: chainedFromRow(row, { data: false }),
      parts: { data: row.data, subjectIds: row.subjectIds },
    };
  } catch (err) {
    return { ...base, unreadable: (err as Error).message };
  }
}

const COLUMN_OF: Record<(typeof INDEXED_SUBJECTS)[number], string> = {
  bundleId: "bundle_id",
  recipientId: "recipient_id",
  pipelineId: "pipeline_id",
  triggerId: "trigger_id",
  fileId: "file_id",
  assignmentId: "assignment_id",
};

/**
 * Verifies a tenant's chain in the database up to its head (read first, so appends meanwhile are not part
 * of the walk), `batchSize` records per query.
 */
export async function verifyChain(
  db: Database,
  tenant: string,
  publicKey: AuditPublicKey | undefined,
  checkpointEvery: number,
  batchSize = 1000,
): Promise<VerifyResult> {
  const headRow = await db.em().findOne(ChainHead, { tenant });
  const head = { seq: Number(headRow?.seq ?? 0), hash: headRow?.hash ?? GENESIS_HASH };
  const verifier = new ChainVerifier(
    tenant,
    await checkpointsUpTo(db, tenant, Number.MAX_SAFE_INTEGER),
    publicKey,
    checkpointEvery,
  );
  let after = 0;
  walk: for (;;) {
    const rows = await db
      .em()
      .find(
        AuditRecord,
        { tenant, seq: { $gt: after, $lte: head.seq } },
        { orderBy: { seq: "asc" }, limit: batchSize },
      );
    for (const row of rows) {
      const r = verifiableRow(row);
      if (!verifier.record(r)) break walk;
      if ("fields" in r) {
        const want = subjectColumns(r.fields.subjectIds);
        const wrong = INDEXED_SUBJECTS.find((k) => (row[k] ?? null) !== want[k]);
        if (wrong) {
          verifier.fail(
            r.seq,
            r.id,
            BreakReason.IndexMismatch,
            `record ${r.id}: column ${COLUMN_OF[wrong]} disagrees with its subject ids`,
          );
          break walk;
        }
      }
    }
    if (rows.length < batchSize) break;
    after = Number(rows[rows.length - 1]!.seq);
  }
  return verifier.finish(head);
}
