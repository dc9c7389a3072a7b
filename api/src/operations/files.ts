import { z } from "zod";
import { bodyErrorResponses, ErrorBody, errorResponses, IdParams, PageQuery, page } from "../common.js";
import { defineOperation } from "../operation.js";
import { ConflictReason } from "../reasons.js";
import { Scope } from "../scopes.js";

/** A stored file (its content is encrypted at rest and deduplicated); `File` in the OpenAPI document. */
export const FileObject = z
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
export type FileObject = z.output<typeof FileObject>;

/** `details` of deleteFile's 409 (`reason` {@link ConflictReason.FileInBundles}). */
export interface FileInBundlesDetails {
  reason: typeof ConflictReason.FileInBundles;
  /** every bundle holding the file */
  bundleIds: string[];
  /** the bundles holding the file that the caller may read, by name */
  bundles: { id: string; name: string }[];
  /** how many more bundles hold it that the caller may not read */
  otherBundles: number;
}

const tag = "files";
const read = { kind: "user", scope: Scope.FilesRead } as const;
const write = { kind: "user", scope: Scope.FilesWrite } as const;
const fileResource = { type: "file", param: "id" } as const;
const notFound = { 404: { description: "No such file", schema: ErrorBody } } as const;

export const uploadFile = defineOperation({
  method: "post",
  path: "/api/v1/files",
  operationId: "uploadFile",
  summary: "Upload a file: raw body with X-File-Name (and X-Folder), or multipart/form-data",
  description:
    "Raw upload: the body is the file's bytes, its Content-Type becomes the file's content type; the name goes " +
    "percent-encoded in `X-File-Name`, the folder in `X-Folder` (default `/`). Browser upload: " +
    "multipart/form-data with an optional `folder` field before one `file` part. The body streams to storage; " +
    "identical content is stored once.",
  tag,
  access: write,
  bodyTypes: ["binary", "multipart"],
  responses: {
    201: { description: "Stored (encrypted; identical content is deduplicated)", schema: FileObject },
    ...errorResponses,
    400: {
      description: "No X-File-Name, a malformed multipart body, or an interrupted upload",
      schema: ErrorBody,
    },
    413: { description: "Larger than LATCHFLOW_UPLOAD_LIMIT_BYTES", schema: ErrorBody },
    422: { description: "A name or folder that is not allowed (NUL, /, too long)", schema: ErrorBody },
  },
});

export const listFiles = defineOperation({
  method: "get",
  path: "/api/v1/files",
  operationId: "listFiles",
  summary: "List files, newest first (search with ?q=, one folder with ?folder=)",
  tag,
  access: read,
  restrictable: true,
  query: PageQuery.extend({ q: z.string().max(200).optional(), folder: z.string().max(1024).optional() }),
  responses: {
    200: { description: "A page of files", schema: page(FileObject) },
    ...errorResponses,
  },
});

export const getFile = defineOperation({
  method: "get",
  path: "/api/v1/files/:id",
  operationId: "getFile",
  summary: "File metadata",
  tag,
  access: { ...read, resource: fileResource },
  params: IdParams,
  responses: { 200: { description: "The file", schema: FileObject }, ...notFound, ...errorResponses },
});

export const updateFile = defineOperation({
  method: "patch",
  path: "/api/v1/files/:id",
  operationId: "updateFile",
  summary: "Rename, move to another folder, change the content type or the metadata",
  tag,
  access: { ...write, resource: fileResource },
  params: IdParams,
  body: z
    .strictObject({
      name: z.string().max(255).optional(),
      folder: z.string().max(1024).optional(),
      contentType: z.string().max(255).optional(),
      metadata: z.record(z.string(), z.string()).optional().meta({ description: "replaces all metadata" }),
    })
    .meta({ id: "UpdateFile" }),
  responses: {
    200: { description: "Updated", schema: FileObject },
    ...notFound,
    ...bodyErrorResponses,
    ...errorResponses,
  },
});

export const deleteFile = defineOperation({
  method: "delete",
  path: "/api/v1/files/:id",
  operationId: "deleteFile",
  summary: "Delete a file that no bundle contains (its content goes when nothing else uses it)",
  tag,
  access: { ...write, resource: fileResource },
  params: IdParams,
  responses: {
    200: { description: "Deleted", schema: FileObject },
    409: {
      description:
        `Still in bundles (details.reason ${ConflictReason.FileInBundles}): the message names the bundles the ` +
        "caller may read; details.bundles lists them ({ id, name }), details.otherBundles counts the others, " +
        "details.bundleIds has every id",
      schema: ErrorBody,
    },
    ...notFound,
    ...errorResponses,
  },
});

export const downloadFile = defineOperation({
  method: "get",
  path: "/api/v1/files/:id/content",
  operationId: "downloadFile",
  summary: "Download a file's content (audited)",
  tag,
  access: { ...read, resource: fileResource },
  params: IdParams,
  responses: {
    200: { description: "The bytes, as an attachment", media: "application/octet-stream" },
    ...notFound,
    ...errorResponses,
  },
});
