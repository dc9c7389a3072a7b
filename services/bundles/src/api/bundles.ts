import type { bundlesV1 } from "@latchflow/proto";
import {
  conflict,
  decodeCursor,
  newId,
  notFound,
  pageLimit,
  type RequestContext,
  toPage,
  validationFailed,
} from "@latchflow/runtime";
import { type EntityManager, emitEvent as emit, insertRows } from "@latchflow/runtime/db";
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import { sanitizeEntryNames } from "../archive/index.js";
import type { BundlesContext } from "../context.js";
import {
  Assignment,
  Bundle,
  BundleObject,
  BundleVersion,
  FileEntry,
  PublishLink,
} from "../entities/index.js";
import { addRefs, cutVersion, dropRefs, releaseVersions } from "../versions.js";

const NAME_MAX = 200;
const DESCRIPTION_MAX = 2000;
const MAX_OBJECTS = 10_000;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function checkName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0) throw validationFailed("name must not be empty", { field: "name" });
  if (name.length > NAME_MAX)
    throw validationFailed(`name must be at most ${NAME_MAX} characters`, { field: "name" });
  if (CONTROL_CHARS.test(name))
    throw validationFailed("name must not contain control characters", { field: "name" });
  return name;
}

function checkDescription(raw: string | undefined): string {
  const d = (raw ?? "").trim();
  if (d.length > DESCRIPTION_MAX) {
    throw validationFailed(`description must be at most ${DESCRIPTION_MAX} characters`, {
      field: "description",
    });
  }
  return d;
}

export async function findBundle(em: EntityManager, ctx: RequestContext, id: string): Promise<Bundle> {
  const bundle = await em.findOne(Bundle, { id, tenant: ctx.tenant });
  if (!bundle) throw notFound("Bundle not found", { bundleId: id });
  return bundle;
}

/**
 * The full API shape of bundles (objects and current archive), loaded with at most three queries for any
 * number; none for bundles just created (`created`: no objects and no version yet).
 */
async function toProtos(
  em: EntityManager,
  bundles: Bundle[],
  options: { created?: boolean } = {},
): Promise<bundlesV1.Bundle[]> {
  if (bundles.length === 0) return [];
  const objects = options.created
    ? []
    : await em.find(
        BundleObject,
        { bundleId: { $in: bundles.map((b) => b.id) } },
        { orderBy: { bundleId: "asc", position: "asc" } },
      );
  const fileIds = [...new Set(objects.map((o) => o.fileId))];
  const files = new Map(
    (fileIds.length ? await em.find(FileEntry, { id: { $in: fileIds } }) : []).map((f) => [f.id, f]),
  );
  const versionIds = bundles.map((b) => b.currentVersionId).filter((id): id is string => !!id);
  const versions = new Map(
    (versionIds.length ? await em.find(BundleVersion, { id: { $in: versionIds } }) : []).map((v) => [
      v.id,
      v,
    ]),
  );
  return bundles.map((b) => {
    const own = objects.filter((o) => o.bundleId === b.id);
    const names = sanitizeEntryNames(own.map((o) => o.path));
    const version = b.currentVersionId ? versions.get(b.currentVersionId) : undefined;
    return {
      id: b.id,
      tenant: b.tenant,
      name: b.name,
      description: b.description,
      enabled: b.enabled,
      createdAt: b.createdAt,
      updatedAt: b.updatedAt,
      objects: own.map((o, i) => ({
        fileId: o.fileId,
        path: o.path,
        entryName: names[i]!,
        size: files.get(o.fileId)?.size ?? 0,
      })),
      archive: version
        ? {
            status: version.files > 0 ? "ready" : "empty",
            version: version.number,
            size: version.size,
            etag: version.etag,
            builtAt: version.createdAt,
            files: version.files,
          }
        : { status: "empty", version: 0, size: 0, etag: "", files: 0 },
    };
  });
}

async function toProto(
  em: EntityManager,
  b: Bundle,
  options?: { created?: boolean },
): Promise<bundlesV1.Bundle> {
  const [shape] = await toProtos(em, [b], options);
  return shape!;
}

export function createBundlesApi(auth: BundlesContext) {
  const { db } = auth;
  return {
    async createBundle(req: bundlesV1.CreateBundleRequest, ctx: RequestContext): Promise<bundlesV1.Bundle> {
      const name = checkName(req.name);
      const description = checkDescription(req.description);
      const now = auth.now();
      const em = db.em();
      try {
        const bundle: Bundle = {
          id: newId(now),
          tenant: ctx.tenant,
          name,
          description,
          enabled: true,
          currentVersionId: null,
          createdAt: now,
          updatedAt: now,
        };
        // bound statements only: the row and its event in one transaction (the hot REST write), on SQLite
        // without knex's transaction; it resolves once the commit is on disk
        await db.statementTransaction(async (tx) => {
          await insertRows(tx, Bundle, [bundle]);
          await emit(
            tx,
            ctx,
            "bundles.bundle.created",
            { bundleId: bundle.id },
            { bundleId: bundle.id, name },
          );
        });
        auth.relay.nudge();
        return toProto(em, bundle, { created: true });
      } catch (err) {
        if (err instanceof UniqueConstraintViolationException) {
          throw conflict(`A bundle named "${name}" already exists`, { field: "name" });
        }
        throw err;
      }
    },

    async getBundle(req: bundlesV1.GetBundleRequest, ctx: RequestContext): Promise<bundlesV1.Bundle> {
      const em = db.em();
      return toProto(em, await findBundle(em, ctx, req.id));
    },

    async listBundles(
      req: bundlesV1.ListBundlesRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.ListBundlesResponse> {
      const limit = pageLimit(req.page?.limit);
      const after = decodeCursor(req.page?.cursor);
      const idFilter = after ? { $lt: after } : {};
      const em = db.em();
      const rows = await em.find(
        Bundle,
        { tenant: ctx.tenant, id: req.restricted ? { ...idFilter, $in: req.ids } : idFilter },
        { orderBy: { id: "desc" }, limit: limit + 1 },
      );
      const page = toPage(rows, limit, (b) => b.id);
      return { bundles: await toProtos(em, page.items), page: { nextCursor: page.nextCursor } };
    },

    async updateBundle(req: bundlesV1.UpdateBundleRequest, ctx: RequestContext): Promise<bundlesV1.Bundle> {
      const em = db.em();
      try {
        const bundle = await em.transactional(async (tx) => {
          const b = await findBundle(tx, ctx, req.id);
          const changes: string[] = [];
          if (req.name !== undefined && checkName(req.name) !== b.name) {
            b.name = checkName(req.name);
            changes.push("name");
          }
          if (req.description !== undefined && checkDescription(req.description) !== b.description) {
            b.description = checkDescription(req.description);
            changes.push("description");
          }
          if (req.enabled !== undefined && req.enabled !== b.enabled) {
            b.enabled = req.enabled;
            changes.push("enabled");
          }
          if (changes.length) {
            b.updatedAt = auth.now();
            await emit(
              tx,
              ctx,
              "bundles.bundle.updated",
              { bundleId: b.id },
              // the new name travels with a rename, so the audit log knows the bundle by it (ADR 032)
              { bundleId: b.id, changes, ...(changes.includes("name") ? { name: b.name } : {}) },
            );
          }
          return b;
        });
        auth.relay.nudge();
        return toProto(em, bundle, { created: true });
      } catch (err) {
        if (err instanceof UniqueConstraintViolationException)
          throw conflict("A bundle with that name exists", { field: "name" });
        throw err;
      }
    },

    async deleteBundle(req: bundlesV1.DeleteBundleRequest, ctx: RequestContext): Promise<bundlesV1.Bundle> {
      const em = db.em();
      const bundle = await findBundle(em, ctx, req.id);
      const shape = await toProto(em, bundle);
      await em.transactional(async (tx) => {
        const assignments = await tx.count(Assignment, { bundleId: bundle.id });
        const links = await tx.count(PublishLink, {
          bundleId: bundle.id,
          revokedAt: null,
          expiresAt: { $gt: auth.now() },
        });
        if ((assignments || links) && !req.force) {
          throw conflict("The bundle is still assigned or published; remove those first or use force", {
            assignments,
            publishLinks: links,
          });
        }
        await tx.nativeDelete(Assignment, { bundleId: bundle.id });
        await tx.nativeUpdate(
          PublishLink,
          { bundleId: bundle.id, revokedAt: null },
          { revokedAt: auth.now() },
        );
        await tx.nativeDelete(BundleObject, { bundleId: bundle.id });
        await tx.nativeDelete(Bundle, { id: bundle.id });
        await emit(
          tx,
          ctx,
          "bundles.bundle.deleted",
          { bundleId: bundle.id },
          { bundleId: bundle.id, name: bundle.name },
        );
      });
      auth.relay.nudge();
      await releaseVersions(auth, bundle.id);
      return shape;
    },

    /** Replaces the objects and cuts a new version in one transaction (the atomic swap of the archive). */
    async setBundleObjects(
      req: bundlesV1.SetBundleObjectsRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.Bundle> {
      if (req.objects.length > MAX_OBJECTS)
        throw validationFailed(`A bundle holds at most ${MAX_OBJECTS} files`);
      const em = db.em();
      const bundle = await findBundle(em, ctx, req.bundleId);
      const files = new Map(
        (await em.find(FileEntry, { tenant: ctx.tenant, id: { $in: req.objects.map((o) => o.fileId) } })).map(
          (f) => [f.id, f],
        ),
      );
      const missing = req.objects.filter((o) => !files.has(o.fileId)).map((o) => o.fileId);
      if (missing.length) throw validationFailed("Unknown files", { fileIds: [...new Set(missing)] });
      for (const o of req.objects) {
        if (o.path.length > 1024)
          throw validationFailed("path must be at most 1024 characters", { fileId: o.fileId });
      }
      // the new version's hold on its content is taken before the swap commits, and given back if it fails
      const blobIds = req.objects.map((o) => files.get(o.fileId)!.blobId);
      await addRefs(auth, ctx, blobIds);
      try {
        await em.transactional(async (tx) => {
          const b = await findBundle(tx, ctx, req.bundleId);
          await tx.nativeDelete(BundleObject, { bundleId: b.id });
          req.objects.forEach((o, position) => {
            tx.create(BundleObject, {
              id: newId(),
              tenant: ctx.tenant,
              bundleId: b.id,
              fileId: o.fileId,
              path: o.path.trim() || files.get(o.fileId)!.name,
              position,
            });
          });
          await tx.flush();
          await emit(
            tx,
            ctx,
            "bundles.bundle.content-changed",
            { bundleId: b.id },
            { bundleId: b.id, files: req.objects.length },
          );
          await cutVersion(tx, auth, ctx, b);
        });
      } catch (err) {
        await dropRefs(auth, ctx, blobIds);
        throw err;
      }
      auth.relay.nudge();
      await releaseVersions(auth, bundle.id);
      return toProto(em, await findBundle(db.em(), ctx, bundle.id));
    },
  };
}
