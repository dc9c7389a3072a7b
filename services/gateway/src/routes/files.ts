import { ConflictReason, operations, type schemas } from "@latchflow/api";
import type { authV1, bundlesV1 } from "@latchflow/proto";
import {
  badRequest,
  conflict,
  ErrorCode,
  isLatchflowError,
  type RequestContext,
  Scope,
} from "@latchflow/runtime";
import busboy from "busboy";
import type { Context } from "koa";
import type { GatewayClients } from "../clients.js";
import { countDownload, openingDownload } from "../download-metrics.js";
import { refuseNul } from "../input-limits.js";
import { allows } from "../policy.js";
import { implement } from "../route.js";
import { streamBlob, uploadToStorage } from "../streaming.js";

export function fileToRest(f: bundlesV1.File): schemas.FileObject {
  return {
    id: f.id,
    name: f.name,
    folder: f.folder,
    contentType: f.contentType,
    size: f.size,
    sha256: f.sha256,
    metadata: f.metadata,
    bundleIds: f.bundleIds,
    createdAt: (f.createdAt ?? new Date(0)).toISOString(),
    updatedAt: (f.updatedAt ?? new Date(0)).toISOString(),
  };
}

/** `attachment; filename="…"; filename*=UTF-8''…` that survives any name. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** “A”, “A” and “B”, “A”, “B” and “C”. */
function inWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/**
 * The bundles service's refusal to delete a file still in bundles, told to this caller: the bundles it may read
 * by name, the others only counted.
 */
function fileInBundles(identity: authV1.Identity, err: unknown): unknown {
  if (!isLatchflowError(err) || err.code !== ErrorCode.Conflict) return err;
  const details = err.details as Partial<schemas.FileInBundlesDetails> | undefined;
  if (details?.reason !== ConflictReason.FileInBundles) return err;
  const all = details.bundles ?? [];
  const bundles = all.filter((b) =>
    allows(identity, { action: Scope.BundlesRead, resource: { type: "bundle", id: b.id } }),
  );
  const others = all.length - bundles.length;
  const named = bundles.map((b) => `“${b.name}”`);
  if (others) {
    named.push(`${others} ${bundles.length ? "other " : ""}bundle${others === 1 ? "" : "s"} you may not see`);
  }
  const where = bundles.length === 0 ? "" : all.length === 1 ? "the bundle " : "the bundles ";
  const answer: schemas.FileInBundlesDetails = {
    reason: ConflictReason.FileInBundles,
    bundleIds: details.bundleIds ?? [],
    bundles,
    otherBundles: others,
  };
  return conflict(
    `The file is in ${where}${inWords(named)}; remove it from ${all.length === 1 ? "that bundle" : "them"} first`,
    { ...answer },
  );
}

interface Upload {
  name: string;
  folder: string;
  contentType: string;
  blob: Awaited<ReturnType<typeof uploadToStorage>>;
}

/** Raw body upload: the file's bytes as the body, its name in X-File-Name (percent-encoded). */
async function rawUpload(
  koa: Context,
  clients: GatewayClients,
  ctx: RequestContext,
  limitBytes: number,
): Promise<Upload> {
  const rawName = koa.get("x-file-name");
  if (!rawName)
    throw badRequest("Send the file name in the X-File-Name header (or upload as multipart/form-data)");
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    throw badRequest("X-File-Name must be percent-encoded UTF-8");
  }
  refuseNul(name, "header", "x-file-name");
  const folder = koa.get("x-folder") || "/";
  refuseNul(folder, "header", "x-folder");
  const length = koa.get("content-length");
  const blob = await uploadToStorage(clients, koa.req, ctx, {
    limitBytes,
    ...(length ? { expectedSize: Number(length) } : {}),
    // the request's pieces (node:http's copies of the socket's bytes) go nowhere else (ADR 064)
    releaseBody: true,
  });
  return {
    name,
    folder,
    contentType: koa.get("content-type") || "application/octet-stream",
    blob,
  };
}

/** Browser upload: multipart/form-data with an optional `folder` field before one `file` part. */
function multipartUpload(
  koa: Context,
  clients: GatewayClients,
  ctx: RequestContext,
  limitBytes: number,
): Promise<Upload> {
  return new Promise((resolve, reject) => {
    let folder = "/";
    let started = false;
    let parser: ReturnType<typeof busboy>;
    try {
      parser = busboy({
        headers: koa.req.headers,
        // browsers send a part's filename as UTF-8 (busboy would read it as latin1)
        defParamCharset: "utf8",
        limits: { files: 1, fileSize: limitBytes + 1, fields: 10 },
      });
    } catch {
      // e.g. no boundary in the Content-Type: busboy refuses before reading anything
      reject(badRequest("Malformed multipart/form-data Content-Type (it needs a boundary)"));
      return;
    }
    parser.on("field", (field, value) => {
      if (field === "folder") folder = value;
    });
    parser.on("file", (_field, stream, info) => {
      started = true;
      try {
        refuseNul(info.filename ?? "", "body", "file.filename");
        refuseNul(folder, "body", "folder");
      } catch (err) {
        stream.resume();
        reject(err);
        return;
      }
      uploadToStorage(clients, stream, ctx, { limitBytes }).then(
        (blob) =>
          resolve({
            name: info.filename ?? "",
            folder,
            contentType: info.mimeType || "application/octet-stream",
            blob,
          }),
        reject,
      );
    });
    parser.on("error", () => reject(badRequest("Malformed multipart body")));
    parser.on("close", () => {
      if (!started) reject(badRequest("The multipart body has no file part"));
    });
    koa.req.pipe(parser);
  });
}

export function fileRoutes(clients: GatewayClients, uploadLimitBytes: number) {
  return [
    implement(operations.uploadFile, async ({ ctx, koa }) => {
      const upload = koa.is("multipart/form-data")
        ? await multipartUpload(koa, clients, ctx, uploadLimitBytes)
        : await rawUpload(koa, clients, ctx, uploadLimitBytes);
      try {
        const file = await clients.bundles.createFile(
          {
            blobId: upload.blob.blobId,
            name: upload.name,
            folder: upload.folder,
            contentType: upload.contentType,
            size: upload.blob.size,
            sha256: upload.blob.sha256,
            crc32: upload.blob.crc32,
            metadata: {},
          },
          ctx,
        );
        return { status: 201, body: fileToRest(file) };
      } catch (err) {
        // the file entry was refused (e.g. a bad name): give the stored reference back
        await clients.storage.deleteBlob({ blobId: upload.blob.blobId }, ctx).catch(() => undefined);
        throw err;
      }
    }),
    implement(operations.listFiles, async ({ query, ctx, decision }) => {
      const restrictTo = decision?.restrictTo;
      const res = await clients.bundles.listFiles(
        {
          query: query.q ?? "",
          folder: query.folder ?? "",
          ids: restrictTo ?? [],
          restricted: restrictTo !== undefined,
          page: { cursor: query.cursor ?? "", limit: query.limit ?? 0 },
        },
        ctx,
      );
      return {
        status: 200,
        body: { items: res.files.map(fileToRest), nextCursor: res.page?.nextCursor || null },
      };
    }),
    implement(operations.getFile, async ({ params, ctx }) => ({
      status: 200,
      body: fileToRest(await clients.bundles.getFile({ id: params.id }, ctx)),
    })),
    implement(operations.updateFile, async ({ params, body, ctx }) => ({
      status: 200,
      body: fileToRest(
        await clients.bundles.updateFile(
          {
            id: params.id,
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.folder !== undefined ? { folder: body.folder } : {}),
            ...(body.contentType !== undefined ? { contentType: body.contentType } : {}),
            replaceMetadata: body.metadata !== undefined,
            metadata: body.metadata ?? {},
          },
          ctx,
        ),
      ),
    })),
    implement(operations.deleteFile, async ({ params, ctx, identity }) => {
      try {
        return { status: 200, body: fileToRest(await clients.bundles.deleteFile({ id: params.id }, ctx)) };
      } catch (err) {
        throw identity ? fileInBundles(identity, err) : err;
      }
    }),
    implement(operations.downloadFile, async ({ params, ctx, koa }) => {
      const file = await openingDownload("file", () =>
        clients.bundles.openFileDownload({ id: params.id }, ctx),
      );
      koa.set("Content-Disposition", contentDisposition(file.name));
      koa.set("Content-Security-Policy", "sandbox; default-src 'none'");
      koa.type = "application/octet-stream";
      koa.length = file.size;
      return {
        status: 200,
        stream: countDownload("file", 200, streamBlob(clients, file.blobId, file.size, ctx)),
      };
    }),
  ];
}
