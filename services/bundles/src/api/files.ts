import { ConflictReason } from "@latchflow/api";
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
import { type EntityManager, emitEvent as emit } from "@latchflow/runtime/db";
import type { BundlesContext } from "../context.js";
import { Bundle, BundleObject, FileEntry } from "../entities/index.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const CONTENT_TYPE = /^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/;
const MAX_METADATA = 50;

function checkName(raw: string): string {
  const name = raw.trim();
  if (
    !name ||
    name.length > 255 ||
    CONTROL_CHARS.test(name) ||
    name.includes("/") ||
    name === "." ||
    name === ".."
  ) {
    throw validationFailed("name must be 1-255 characters without / or control characters", {
      field: "name",
    });
  }
  return name;
}

/** Folders are absolute, `/`-separated, without empty, `.` or `..` segments: `/`, `/letters/2024`. */
export function normalizeFolder(raw: string): string {
  const segments = raw.split("/").filter((s) => s.length > 0);
  if (segments.some((s) => s === "." || s === ".." || CONTROL_CHARS.test(s) || s.length > 255)) {
    throw validationFailed("folder must be a path like /letters/2024", { field: "folder" });
  }
  const folder = `/${segments.join("/")}`;
  if (folder.length > 1024) throw validationFailed("folder is too long", { field: "folder" });
  return folder;
}

function checkContentType(raw: string): string {
  const ct = raw.trim() || "application/octet-stream";
  if (ct.length > 255 || !CONTENT_TYPE.test(ct))
    throw validationFailed("contentType is not a media type", { field: "contentType" });
  return ct;
}

function checkMetadata(m: Record<string, string>): Record<string, string> {
  const entries = Object.entries(m);
  if (entries.length > MAX_METADATA)
    throw validationFailed(`at most ${MAX_METADATA} metadata entries`, { field: "metadata" });
  for (const [k, v] of entries) {
    if (!/^[\w.-]{1,64}$/.test(k) || v.length > 1000) {
      throw validationFailed("metadata keys are 1-64 word characters; values at most 1000 characters", {
        field: "metadata",
        key: k,
      });
    }
  }
  return Object.fromEntries(entries);
}

async function findFile(em: EntityManager, ctx: RequestContext, id: string): Promise<FileEntry> {
  const file = await em.findOne(FileEntry, { id, tenant: ctx.tenant });
  if (!file) throw notFound("File not found", { fileId: id });
  return file;
}

/** API shapes of files, with the bundles containing each, in one query for any number of files. */
async function toProtos(em: EntityManager, files: FileEntry[]): Promise<bundlesV1.File[]> {
  if (files.length === 0) return [];
  const objects = await em.find(
    BundleObject,
    { fileId: { $in: files.map((f) => f.id) } },
    { fields: ["bundleId", "fileId"] },
  );
  return files.map((f) => ({
    id: f.id,
    name: f.name,
    folder: f.folder,
    contentType: f.contentType,
    size: f.size,
    sha256: f.sha256,
    crc32: f.crc32,
    blobId: f.blobId,
    metadata: JSON.parse(f.metadata) as Record<string, string>,
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
    bundleIds: [...new Set(objects.filter((o) => o.fileId === f.id).map((o) => o.bundleId))],
  }));
}

async function toProto(em: EntityManager, f: FileEntry): Promise<bundlesV1.File> {
  const [shape] = await toProtos(em, [f]);
  return shape!;
}

export function createFilesApi(auth: BundlesContext) {
  const { db } = auth;
  return {
    /** Registers an uploaded blob; size, sha256 and CRC-32 are taken from storage, not from the caller. */
    async createFile(req: bundlesV1.CreateFileRequest, ctx: RequestContext): Promise<bundlesV1.File> {
      const name = checkName(req.name);
      const folder = normalizeFolder(req.folder || "/");
      const contentType = checkContentType(req.contentType);
      const metadata = checkMetadata(req.metadata);
      const blob = await auth.storage.statBlob({ blobId: req.blobId }, ctx);
      const now = auth.now();
      const em = db.em();
      const file = await em.transactional(async (tx) => {
        const f = tx.create(FileEntry, {
          id: newId(now),
          tenant: ctx.tenant,
          name,
          folder,
          contentType,
          size: blob.size,
          sha256: blob.sha256,
          crc32: blob.crc32,
          blobId: blob.blobId,
          metadata: JSON.stringify(metadata),
          createdAt: now,
          updatedAt: now,
        });
        await emit(
          tx,
          ctx,
          "files.file.created",
          { fileId: f.id },
          { fileId: f.id, name, size: f.size, sha256: f.sha256 },
        );
        return f;
      });
      auth.relay.nudge();
      return toProto(em, file);
    },

    async getFile(req: bundlesV1.GetFileRequest, ctx: RequestContext): Promise<bundlesV1.File> {
      const em = db.em();
      return toProto(em, await findFile(em, ctx, req.id));
    },

    async listFiles(
      req: bundlesV1.ListFilesRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.ListFilesResponse> {
      const limit = pageLimit(req.page?.limit);
      const after = decodeCursor(req.page?.cursor);
      const idFilter = after ? { $lt: after } : {};
      const q = req.query.trim();
      const em = db.em();
      const rows = await em.find(
        FileEntry,
        {
          tenant: ctx.tenant,
          id: req.restricted ? { ...idFilter, $in: req.ids } : idFilter,
          ...(req.folder ? { folder: normalizeFolder(req.folder) } : {}),
          // case-insensitive substring: SQLite's LIKE already is (ASCII), Postgres needs ILIKE
          ...(q ? { name: db.dialect === "postgres" ? { $ilike: `%${q}%` } : { $like: `%${q}%` } } : {}),
        },
        { orderBy: { id: "desc" }, limit: limit + 1 },
      );
      const page = toPage(rows, limit, (f) => f.id);
      return { files: await toProtos(em, page.items), page: { nextCursor: page.nextCursor } };
    },

    async updateFile(req: bundlesV1.UpdateFileRequest, ctx: RequestContext): Promise<bundlesV1.File> {
      const em = db.em();
      const file = await em.transactional(async (tx) => {
        const f = await findFile(tx, ctx, req.id);
        const changes: string[] = [];
        if (req.name !== undefined && checkName(req.name) !== f.name) {
          f.name = checkName(req.name);
          changes.push("name");
        }
        if (req.folder !== undefined && normalizeFolder(req.folder) !== f.folder) {
          f.folder = normalizeFolder(req.folder);
          changes.push("folder");
        }
        if (req.contentType !== undefined && checkContentType(req.contentType) !== f.contentType) {
          f.contentType = checkContentType(req.contentType);
          changes.push("contentType");
        }
        if (req.replaceMetadata) {
          f.metadata = JSON.stringify(checkMetadata(req.metadata));
          changes.push("metadata");
        }
        if (changes.length) {
          f.updatedAt = auth.now();
          await emit(tx, ctx, "files.file.updated", { fileId: f.id }, { fileId: f.id, changes });
        }
        return f;
      });
      auth.relay.nudge();
      return toProto(em, file);
    },

    /**
     * Refused while a bundle contains the file (the details name them: the gateway shows each caller those it may
     * read); otherwise the row goes and its blob reference is dropped.
     */
    async deleteFile(req: bundlesV1.DeleteFileRequest, ctx: RequestContext): Promise<bundlesV1.File> {
      const em = db.em();
      const file = await findFile(em, ctx, req.id);
      const shape = await toProto(em, file);
      if (shape.bundleIds.length) {
        const bundles = await em.find(
          Bundle,
          { id: { $in: shape.bundleIds }, tenant: ctx.tenant },
          { fields: ["id", "name"], orderBy: { name: "asc" } },
        );
        throw conflict("The file is in bundles; remove it from them first", {
          reason: ConflictReason.FileInBundles,
          bundleIds: shape.bundleIds,
          bundles: bundles.map((b) => ({ id: b.id, name: b.name })),
        });
      }
      await em.transactional(async (tx) => {
        const n = await tx.nativeDelete(FileEntry, { id: file.id });
        if (n !== 1) throw notFound("File not found", { fileId: file.id });
        await emit(tx, ctx, "files.file.deleted", { fileId: file.id }, { fileId: file.id, name: file.name });
      });
      auth.relay.nudge();
      await auth.storage.deleteBlob({ blobId: file.blobId }, ctx);
      return shape;
    },

    async openFileDownload(
      req: bundlesV1.OpenFileDownloadRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.File> {
      const em = db.em();
      const file = await findFile(em, ctx, req.id);
      await em.transactional((tx) =>
        emit(tx, ctx, "files.file.downloaded", { fileId: file.id }, { fileId: file.id, name: file.name }),
      );
      auth.relay.nudge();
      return toProto(em, file);
    },
  };
}
