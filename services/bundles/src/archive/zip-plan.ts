import { createHash } from "node:crypto";
import { ErrorCode, LatchflowError } from "@latchflow/runtime";
import { assertEntryNames } from "./entry-names.js";
import {
  centralHeader,
  type DosDateTime,
  type EntryFields,
  endRecords,
  localHeader,
  MAX_16,
  toDosDateTime,
} from "./zip-format.js";

/** One file to put in the archive; its bytes are fetched later through `openMember`. */
export interface ZipMember {
  /** Entry name, already sanitized with `sanitizeEntryNames` (checked; throws otherwise). */
  name: string;
  /** Plaintext size in bytes. */
  size: number;
  /** CRC-32 (IEEE, as `zlib.crc32`) of the plaintext, unsigned. */
  crc32: number;
  /**
   * Optional stable identifier of the content (e.g. the plaintext sha256). Not written to the
   * archive; folded into the ETag so that two contents with equal size and CRC-32 never share one.
   */
  contentId?: string;
}

/** A span of the archive: literal header bytes, or (part of) a member's plaintext. */
export type Segment =
  | { kind: "bytes"; data: Buffer; offset: number }
  | { kind: "member"; index: number; offset: number; length: number };

/** Where each member landed in the archive. */
export interface ZipPlanEntry {
  name: string;
  size: number;
  crc32: number;
  /** Offset of the entry's local header. */
  headerOffset: number;
  /** Offset of the entry's first data byte. */
  dataOffset: number;
}

/** The complete byte layout of an archive: a pure function of the members and `modifiedAt`. */
export interface ZipPlan {
  /** Exact archive size in bytes (the Content-Length of a full response). */
  size: number;
  /** Strong, quoted ETag; changes whenever any archive byte could change. */
  etag: string;
  /** Contiguous, ordered, non-empty spans covering `[0, size)`. */
  segments: Segment[];
  /** One per member, same order as the input. */
  entries: ZipPlanEntry[];
}

/** Options of {@link planZip}. */
export interface ZipPlanOptions {
  /** Modification time written to every entry (as UTC MS-DOS date/time, 2 s resolution). */
  modifiedAt: Date;
}

/** Bumped whenever the layout code changes the bytes it writes for the same inputs. */
const LAYOUT_VERSION = "latchflow-zip-store/1";

function invalid(message: string, details: Record<string, unknown>): LatchflowError {
  return new LatchflowError(ErrorCode.ValidationFailed, message, { details });
}

function checkMember(m: ZipMember, index: number): void {
  if (!Number.isSafeInteger(m.size) || m.size < 0) {
    throw invalid("Archive member size must be a non-negative safe integer", { index, size: m.size });
  }
  if (!Number.isInteger(m.crc32) || m.crc32 < 0 || m.crc32 > 0xffffffff) {
    throw invalid("Archive member CRC-32 must be an unsigned 32-bit integer", { index, crc32: m.crc32 });
  }
  if (m.size === 0 && m.crc32 !== 0) {
    throw invalid("An empty archive member must have CRC-32 0", { index, crc32: m.crc32 });
  }
}

/** Collects segments, merging adjacent literal bytes into one segment. */
class SegmentList {
  readonly segments: Segment[] = [];
  private pending: Buffer[] = [];
  private pendingOffset = 0;
  offset = 0;

  bytes(data: Buffer): void {
    if (this.pending.length === 0) this.pendingOffset = this.offset;
    this.pending.push(data);
    this.offset += data.length;
  }

  member(index: number, length: number): void {
    if (length === 0) return;
    this.flush();
    this.segments.push({ kind: "member", index, offset: this.offset, length });
    this.offset += length;
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.segments.push({ kind: "bytes", data, offset: this.pendingOffset });
    this.pending = [];
  }
}

function computeEtag(segments: Segment[], members: readonly ZipMember[]): string {
  const hash = createHash("sha256").update(LAYOUT_VERSION);
  for (const s of segments) {
    // Literal bytes carry names, sizes, CRCs, time and offsets; members add only their content ids.
    if (s.kind === "bytes") hash.update(s.data);
  }
  for (const m of members) {
    const id = Buffer.from(m.contentId ?? "", "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(id.length);
    hash.update(len).update(id);
  }
  return `"${hash.digest("base64url")}"`;
}

/**
 * Lays out a store-mode ZIP of `members`, in order: local header + data per member, then the central
 * directory, then (when needed) the ZIP64 end of central directory record and locator, then the end
 * of central directory record. No data is read; sizes and CRC-32s are trusted. The result depends
 * only on the inputs, so equal inputs give byte-identical archives and the same ETag.
 *
 * @throws LatchflowError `validation_failed` for unsanitized or duplicate names, bad sizes or CRCs;
 * RangeError when `modifiedAt` is an invalid date.
 */
export function planZip(members: readonly ZipMember[], options: ZipPlanOptions): ZipPlan {
  assertEntryNames(members.map((m) => m.name));
  members.forEach(checkMember);
  const dos: DosDateTime = toDosDateTime(options.modifiedAt);
  const list = new SegmentList();
  const fields: EntryFields[] = [];
  const entries: ZipPlanEntry[] = [];
  members.forEach((m, index) => {
    const name = Buffer.from(m.name, "utf8");
    if (name.length > MAX_16) throw invalid("Archive entry name is too long", { index });
    const f: EntryFields = { name, size: m.size, crc32: m.crc32, headerOffset: list.offset, dos };
    list.bytes(localHeader(f));
    entries.push({
      name: m.name,
      size: m.size,
      crc32: m.crc32,
      headerOffset: f.headerOffset,
      dataOffset: list.offset,
    });
    list.member(index, m.size);
    fields.push(f);
  });
  const directoryOffset = list.offset;
  for (const f of fields) list.bytes(centralHeader(f));
  const directorySize = list.offset - directoryOffset;
  list.bytes(endRecords({ count: members.length, size: directorySize, offset: directoryOffset }));
  list.flush();
  if (!Number.isSafeInteger(list.offset)) throw invalid("Archive is too large", { size: list.offset });
  return { size: list.offset, etag: computeEtag(list.segments, members), segments: list.segments, entries };
}
