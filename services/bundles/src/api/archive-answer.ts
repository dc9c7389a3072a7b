// What every archive answer shares (a recipient's grant, a publish link, a user's export): the effective byte
// range of a version after Range/If-Range, the attachment's file name, and the pieces that cover the range.
import type { bundlesV1 } from "@latchflow/proto";
import { ifRangeMatches, parseRange, sliceZip } from "../archive/index.js";
import type { BundleVersion } from "../entities/index.js";
import { manifestOf, planOf } from "../versions.js";

/** `family archive.zip` from a bundle name: safe in Content-Disposition. */
function archiveFileName(name: string): string {
  const base =
    name
      .replace(/[^\p{L}\p{N} ._-]+/gu, "_")
      .replace(/^[.\s]+/, "")
      .slice(0, 100) || "bundle";
  return `${base}.zip`;
}

/** The raw Range / If-Range headers of a request, and whether it is a HEAD. */
export interface RangeHeaders {
  range: string;
  ifRange: string;
  head: boolean;
}

/** The range a GET will serve, handed to `serving` before any piece is returned. */
export interface ServedRange {
  start: number;
  end: number;
  bytes: number;
  size: number;
  etag: string;
}

/**
 * The answer to an archive request for `version`: 416 when the range cannot be satisfied, the headers' facts
 * only for a HEAD, otherwise `serving` runs (reserve a budget, audit) and the pieces of the range follow.
 */
export async function answerArchive(
  req: RangeHeaders,
  version: BundleVersion,
  bundleName: string,
  serving: (r: ServedRange) => Promise<void>,
): Promise<bundlesV1.ArchiveRange> {
  const { plan, range } = effectiveRange(req, version);
  const base = { totalSize: plan.size, etag: plan.etag, filename: archiveFileName(bundleName) };
  if (!range) return { ...base, status: 416, start: 0, end: 0, pieces: [] };
  const status = range.partial ? 206 : 200;
  const answer = { ...base, status, start: range.start, end: range.end };
  if (req.head) return { ...answer, pieces: [] };
  await serving({ start: range.start, end: range.end, bytes: range.bytes, size: plan.size, etag: plan.etag });
  return { ...answer, pieces: piecesOf(version, plan, range.start, range.end) };
}

/** The byte range a request will be served, after If-Range (a mismatch means the whole archive). */
function effectiveRange(req: Omit<RangeHeaders, "head">, version: BundleVersion) {
  const plan = planOf(version);
  const wanted = req.ifRange && !ifRangeMatches(req.ifRange, plan.etag) ? undefined : req.range || undefined;
  const range = parseRange(wanted, plan.size);
  if (range.kind === "unsatisfiable") return { plan, range: undefined };
  const [start, end] = range.kind === "partial" ? [range.start, range.end] : [0, plan.size - 1];
  return { plan, range: { start, end, bytes: end - start + 1, partial: range.kind === "partial" } };
}

/** The ZIP structure bytes and blob slices (resolved by storage) that make up bytes start..end of a version. */
function piecesOf(
  version: BundleVersion,
  plan: ReturnType<typeof planOf>,
  start: number,
  end: number,
): bundlesV1.ArchivePiece[] {
  if (plan.size === 0) return [];
  const manifest = manifestOf(version);
  return sliceZip(plan, start, end).map((p) =>
    p.kind === "bytes"
      ? { piece: { $case: "data" as const, data: p.data } }
      : {
          piece: {
            $case: "blob" as const,
            blob: { blobId: manifest[p.index]!.blobId, offset: p.from, length: p.length },
          },
        },
  );
}
