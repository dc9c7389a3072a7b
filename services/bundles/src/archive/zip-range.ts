import type { Segment, ZipPlan } from "./zip-plan.js";

/** Part of a byte range: literal bytes, or `length` bytes of member `index` starting at `from`. */
export type Piece =
  | { kind: "bytes"; data: Buffer }
  | { kind: "member"; index: number; from: number; length: number };

/** Outcome of {@link parseRange}: serve everything (200), a slice (206), or nothing (416). */
export type RangeRequest =
  | { kind: "full" }
  | { kind: "partial"; start: number; end: number }
  | { kind: "unsatisfiable" };

const segmentLength = (s: Segment): number => (s.kind === "bytes" ? s.data.length : s.length);

/** Index of the segment containing archive byte `pos` (binary search; segments are contiguous). */
function segmentAt(segments: readonly Segment[], pos: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (segments[mid]!.offset <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Maps the archive bytes `[start, endInclusive]` to the pieces that produce them, in order. Literal
 * pieces are views on the plan's buffers (no copy); member pieces never have length 0.
 *
 * @throws RangeError unless `0 <= start <= endInclusive < plan.size` (use {@link parseRange} first).
 */
export function sliceZip(plan: ZipPlan, start: number, endInclusive: number): Piece[] {
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(endInclusive) ||
    start < 0 ||
    start > endInclusive ||
    endInclusive >= plan.size
  ) {
    throw new RangeError(`Invalid archive range ${start}-${endInclusive} of ${plan.size}`);
  }
  const pieces: Piece[] = [];
  const end = endInclusive + 1;
  for (let i = segmentAt(plan.segments, start); i < plan.segments.length; i++) {
    const s = plan.segments[i]!;
    if (s.offset >= end) break;
    const from = Math.max(start, s.offset) - s.offset;
    const to = Math.min(end, s.offset + segmentLength(s)) - s.offset;
    if (s.kind === "bytes") pieces.push({ kind: "bytes", data: s.data.subarray(from, to) });
    else pieces.push({ kind: "member", index: s.index, from, length: to - from });
  }
  return pieces;
}

const DIGITS = /^\d+$/;

/** A decimal position; values beyond the safe-integer range become Infinity (they are only compared). */
function position(digits: string): number {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : Number.POSITIVE_INFINITY;
}

/**
 * Interprets a `Range` request header for a representation of `size` bytes (RFC 9110 §14.1–14.2),
 * supporting one `bytes` range: `bytes=a-b`, `bytes=a-`, `bytes=-n`.
 *
 * - absent, another unit, or malformed syntax → `full` (the header is ignored, as §14.2 allows);
 * - several ranges → `full` (multipart/byteranges is not supported; ignoring Range is allowed);
 * - `last < first` (an invalid range), `first >= size`, `-0`, or any range of an empty
 *   representation → `unsatisfiable` (answer 416 with an unsatisfied-range `Content-Range`);
 * - otherwise `partial`, with `end` clamped to `size - 1` (a suffix longer than the representation
 *   selects all of it).
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: "full" };
  const eq = header.indexOf("=");
  if (eq === -1 || header.slice(0, eq).trim().toLowerCase() !== "bytes") return { kind: "full" };
  const specs = header
    .slice(eq + 1)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (specs.length !== 1) return { kind: "full" };
  const spec = specs[0]!;
  const dash = spec.indexOf("-");
  if (dash === -1) return { kind: "full" };
  const first = spec.slice(0, dash);
  const last = spec.slice(dash + 1);
  if (first === "") {
    if (!DIGITS.test(last)) return { kind: "full" };
    const suffix = position(last);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - suffix), end: size - 1 };
  }
  if (!DIGITS.test(first) || (last !== "" && !DIGITS.test(last))) return { kind: "full" };
  const start = position(first);
  const end = last === "" ? Number.POSITIVE_INFINITY : position(last);
  if (end < start || start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", start, end: Math.min(end, size - 1) };
}

/**
 * Whether a `Range` may be honoured given the request's `If-Range` (RFC 9110 §13.1.5): true when
 * the header is absent or is an entity-tag strongly equal to `etag`; false for a weak tag, a
 * different tag, or the HTTP-date form (the caller then sends the full representation).
 */
export function ifRangeMatches(ifRange: string | undefined, etag: string): boolean {
  if (ifRange === undefined) return true;
  const tag = ifRange.trim();
  if (!tag.startsWith('"') || etag.startsWith("W/")) return false;
  return tag === etag;
}
