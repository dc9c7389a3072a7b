import type { bundlesV1 } from "@latchflow/proto";
import { badRequest, type RequestContext, Scope } from "@latchflow/runtime";
import busboy from "busboy";
import type { Context } from "koa";
import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { countDownload, openingDownload } from "../download-metrics.js";
import { refuseNul } from "../input-limits.js";
import { defineRoute } from "../route.js";
import { ErrorResponse, errorResponses, IdParams, PageQuery } from "../schemas.js";
import { streamBlob, uploadToStorage } from "../streaming.js";

export const File = z
  .object({
    id: z.string(),
    name: z.string(),
    folder: z.string(),
    contentType: z.string(),
    size: z.number(),
    sha256: z.string(),
    metadata: z.record(z.string(), z.string()),
    bundleIds: z.array(z.string()),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "File" });

export function fileToRest(f: bundlesV1.File) {
  return {
    id: f.id,
    name: f.name,
    folder: f.folder,
    contentType: f.contentType,
    size: f.size,
    sha256: f.sha256,
    metadata: f.metadata,
    bundleIds: f.bundleIds,
    createdAt: f.createdAt?.toISOString(),
    updatedAt: f.updatedAt?.toISOString(),
  };
}

/** `attachment; filename="…"; filename*=UTF-8''…` that survives any name. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
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
  const blob = await uploadToStorage(clients.storage, koa.req, ctx, {
    limitBytes,
    ...(length ? { expectedSize: Number(length) } : {}),
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
      uploadToStorage(clients.storage, stream, ctx, { limitBytes }).then(
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
  const tag = "files";
  const write = { kind: "user", scope: Scope.FilesWrite } as const;
  const read = { kind: "user", scope: Scope.FilesRead } as const;
  const notFound = { 404: { description: "No such file", schema: ErrorResponse } };
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/files",
      operationId: "uploadFile",
      summary: "Upload a file: raw body with X-File-Name (and X-Folder), or multipart/form-data",
      tag,
      access: write,
      responses: {
        201: { description: "Stored (encrypted; identical content is deduplicated)", schema: File },
        413: { description: "Larger than LATCHFLOW_UPLOAD_LIMIT_BYTES", schema: ErrorResponse },
        ...errorResponses,
      },
      handler: async ({ ctx, koa }) => {
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
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/files",
      operationId: "listFiles",
      summary: "List files, newest first (search with ?q=, one folder with ?folder=)",
      tag,
      access: read,
      query: PageQuery.extend({ q: z.string().max(200).optional(), folder: z.string().max(1024).optional() }),
      responses: {
        200: {
          description: "Files",
          schema: z.object({ items: z.array(File), nextCursor: z.string().nullable() }),
        },
        ...errorResponses,
      },
      handler: async ({ query, ctx }) => {
        const res = await clients.bundles.listFiles(
          {
            query: query.q ?? "",
            folder: query.folder ?? "",
            page: { cursor: query.cursor ?? "", limit: query.limit ?? 0 },
          },
          ctx,
        );
        return {
          status: 200,
          body: { items: res.files.map(fileToRest), nextCursor: res.page?.nextCursor || null },
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/files/:id",
      operationId: "getFile",
      summary: "File metadata",
      tag,
      access: { ...read, resource: { type: "file", param: "id" } },
      params: IdParams,
      responses: { 200: { description: "File", schema: File }, ...notFound, ...errorResponses },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: fileToRest(await clients.bundles.getFile({ id: params.id }, ctx)),
      }),
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/files/:id",
      operationId: "updateFile",
      summary: "Rename, move to another folder, change the content type or the metadata",
      tag,
      access: { ...write, resource: { type: "file", param: "id" } },
      params: IdParams,
      body: z
        .strictObject({
          name: z.string().max(255).optional(),
          folder: z.string().max(1024).optional(),
          contentType: z.string().max(255).optional(),
          metadata: z.record(z.string(), z.string()).optional(),
        })
        .meta({ id: "UpdateFile" }),
      responses: { 200: { description: "Updated", schema: File }, ...notFound, ...errorResponses },
      handler: async ({ params, body, ctx }) => ({
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
      }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/files/:id",
      operationId: "deleteFile",
      summary: "Delete a file that no bundle contains (its content goes when nothing else uses it)",
      tag,
      access: { ...write, resource: { type: "file", param: "id" } },
      params: IdParams,
      responses: {
        200: { description: "Deleted", schema: File },
        409: { description: "Still in bundles", schema: ErrorResponse },
        ...notFound,
        ...errorResponses,
      },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: fileToRest(await clients.bundles.deleteFile({ id: params.id }, ctx)),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/files/:id/content",
      operationId: "downloadFile",
      summary: "Download a file's content (audited)",
      tag,
      access: { ...read, resource: { type: "file", param: "id" } },
      params: IdParams,
      responses: { 200: { description: "The bytes" }, ...notFound, ...errorResponses },
      handler: async ({ params, ctx, koa }) => {
        const file = await openingDownload("file", () =>
          clients.bundles.openFileDownload({ id: params.id }, ctx),
        );
        koa.set("Content-Disposition", contentDisposition(file.name));
        koa.set("Content-Security-Policy", "sandbox; default-src 'none'");
        koa.type = "application/octet-stream";
        koa.length = file.size;
        return {
          status: 200,
          stream: countDownload("file", 200, streamBlob(clients.storage, file.blobId, file.size, ctx)),
        };
      },
    }),
  ];
}
