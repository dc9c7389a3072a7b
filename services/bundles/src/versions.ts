import { newId, type RequestContext, systemContext } from "@latchflow/runtime";
import { type EntityManager, emitEvent as emit, sqlDate, sqlTable } from "@latchflow/runtime/db";
import { planZip, sanitizeEntryNames, type ZipPlan } from "./archive/index.js";
import type { BundlesContext } from "./context.js";
import { type Bundle, BundleObject, BundleVersion, FileEntry, type ManifestEntry } from "./entities/index.js";

export function manifestOf(v: BundleVersion): ManifestEntry[] {
  return JSON.parse(v.manifest) as ManifestEntry[];
}

/** The archive layout of a version: a pure function of its manifest and creation time. */
export function planOf(v: BundleVersion): ZipPlan {
  return planZip(
    manifestOf(v).map((m) => ({ name: m.name, size: m.size, crc32: m.crc32, contentId: m.blobId })),
    { modifiedAt: v.createdAt },
  );
}

/**
 * Snapshots a bundle's objects into a new immutable version and makes it current, in the caller's
 * transaction. The version holds one storage reference per member; the caller must have added them
 * (see `addRefs`) before committing.
 */
export async function cutVersion(
  em: EntityManager,
  auth: BundlesContext,
  ctx: RequestContext,
  bundle: Bundle,
) {
  const objects = await em.find(BundleObject, { bundleId: bundle.id }, { orderBy: { position: "asc" } });
  const files = new Map(
    (await em.find(FileEntry, { id: { $in: objects.map((o) => o.fileId) } })).map((f) => [f.id, f]),
  );
  const names = sanitizeEntryNames(objects.map((o) => o.path));
  const manifest: ManifestEntry[] = objects.map((o, i) => {
    const f = files.get(o.fileId)!;
    return { fileId: f.id, blobId: f.blobId, name: names[i]!, size: f.size, crc32: f.crc32 };
  });
  const previous = await em.findOne(BundleVersion, { bundleId: bundle.id }, { orderBy: { number: "desc" } });
  const now = auth.now();
  const version = em.create(BundleVersion, {
    id: newId(now),
    tenant: bundle.tenant,
    bundleId: bundle.id,
    number: (previous?.number ?? 0) + 1,
    manifest: JSON.stringify(manifest),
    size: 0,
    etag: "",
    files: manifest.length,
    createdAt: now,
    releasedAt: null,
  });
  const plan = planOf(version);
  version.size = plan.size;
  version.etag = plan.etag;
  bundle.currentVersionId = version.id;
  bundle.updatedAt = now;
  await emit(
    em,
    ctx,
    "bundles.version.created",
    { bundleId: bundle.id, versionId: version.id },
    {
      bundleId: bundle.id,
      versionId: version.id,
      number: version.number,
      files: version.files,
      size: version.size,
    },
  );
  return { version, manifest };
}

/** Adds one storage reference per blob (a version's hold on its content). */
export async function addRefs(auth: BundlesContext, ctx: RequestContext, blobIds: string[]): Promise<void> {
  for (const blobId of blobIds) await auth.storage.addBlobRef({ blobId }, ctx);
}

/** Drops one storage reference per blob; failures are logged (a leaked reference only keeps content longer). */
export async function dropRefs(auth: BundlesContext, ctx: RequestContext, blobIds: string[]): Promise<void> {
  for (const blobId of blobIds) {
    await auth.storage.deleteBlob({ blobId }, ctx).catch((err: unknown) => {
      auth.logger.warn({ err: (err as Error).message, blobId }, "dropping a blob reference failed");
    });
  }
}

/**
 * Releases superseded versions that no live grant still points at: marks them released, then drops their
 * storage references (so deleting a file's last use frees its blob). Marking first means a crash in between
 * leaks references (content kept too long) instead of dropping one twice (content destroyed while in use).
 */
export async function releaseVersions(auth: BundlesContext, bundleId?: string): Promise<number> {
  const em = auth.db.em();
  const now = auth.now();
  const { db } = auth;
  // one query finds what can go: not current, no live grant (current versions never crowd out the batch)
  const sql = `SELECT v.id FROM ${sqlTable(db, "bundle_versions")} v
    WHERE v.released_at IS NULL ${bundleId ? "AND v.bundle_id = ?" : ""}
      AND NOT EXISTS (SELECT 1 FROM ${sqlTable(db, "bundles")} b WHERE b.current_version_id = v.id)
      AND NOT EXISTS (SELECT 1 FROM ${sqlTable(db, "download_grants")} g WHERE g.version_id = v.id AND g.expires_at > ?)
    ORDER BY v.id LIMIT 500`;
  const params = bundleId ? [bundleId, sqlDate(db, now)] : [sqlDate(db, now)];
  const ids = ((await em.getConnection().execute(sql, params)) as { id: string }[]).map((r) => r.id);
  const candidates = ids.length
    ? await em.find(BundleVersion, { id: { $in: ids } }, { orderBy: { id: "asc" } })
    : [];
  let released = 0;
  for (const v of candidates) {
    const claimed = await em.nativeUpdate(BundleVersion, { id: v.id, releasedAt: null }, { releasedAt: now });
    if (claimed !== 1) continue;
    const ctx = systemContext("bundles-gc", newId(), v.tenant);
    await auth.db.em().transactional((tx) =>
      emit(
        tx,
        ctx,
        "bundles.version.released",
        { bundleId: v.bundleId, versionId: v.id },
        {
          bundleId: v.bundleId,
          versionId: v.id,
          number: v.number,
        },
      ),
    );
    await dropRefs(
      auth,
      ctx,
      manifestOf(v).map((m) => m.blobId),
    );
    released++;
  }
  if (released) auth.relay.nudge();
  return released;
}
