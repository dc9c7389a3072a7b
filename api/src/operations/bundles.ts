import { z } from "zod";
import { bodyErrorResponses, ErrorBody, errorResponses, Id, IdParams, PageQuery, page } from "../common.js";
import { defineOperation } from "../operation.js";
import { DownloadRefusal } from "../reasons.js";
import { Scope } from "../scopes.js";

export const Bundle = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    enabled: z.boolean(),
    objects: z.array(
      z.object({ fileId: z.string(), path: z.string(), entryName: z.string(), size: z.number() }),
    ),
    archive: z.object({
      status: z.enum(["empty", "ready"]),
      version: z.number(),
      size: z.number(),
      etag: z.string(),
      builtAt: z.iso.datetime().nullable(),
      files: z.number(),
    }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Bundle" });
export type Bundle = z.output<typeof Bundle>;

const bundleResource = { type: "bundle", param: "id" } as const;

export const createBundle = defineOperation({
  method: "post",
  path: "/api/v1/bundles",
  operationId: "createBundle",
  summary: "Create a bundle",
  tag: "bundles",
  access: { kind: "user", scope: Scope.BundlesWrite },
  body: z
    .strictObject({
      name: z.string().trim().min(1).max(200),
      description: z.string().max(2000).optional(),
    })
    .meta({ id: "CreateBundle" }),
  responses: {
    201: { description: "Created", schema: Bundle },
    409: { description: "A bundle with that name exists", schema: ErrorBody },
    ...bodyErrorResponses,
    ...errorResponses,
  },
});

export const listBundles = defineOperation({
  method: "get",
  path: "/api/v1/bundles",
  operationId: "listBundles",
  summary: "List bundles, newest first",
  tag: "bundles",
  access: { kind: "user", scope: Scope.BundlesRead },
  restrictable: true,
  query: PageQuery,
  responses: {
    200: { description: "A page of bundles", schema: page(Bundle) },
    ...errorResponses,
  },
});

export const getBundle = defineOperation({
  method: "get",
  path: "/api/v1/bundles/:id",
  operationId: "getBundle",
  summary: "Get one bundle",
  tag: "bundles",
  access: { kind: "user", scope: Scope.BundlesRead, resource: bundleResource },
  params: IdParams,
  responses: {
    200: { description: "The bundle", schema: Bundle },
    404: { description: "No such bundle", schema: ErrorBody },
    ...errorResponses,
  },
});

export const updateBundle = defineOperation({
  method: "patch",
  path: "/api/v1/bundles/:id",
  operationId: "updateBundle",
  summary: "Rename, describe, enable or disable a bundle",
  tag: "bundles",
  access: { kind: "user", scope: Scope.BundlesWrite, resource: bundleResource },
  params: IdParams,
  body: z
    .strictObject({
      name: z.string().trim().min(1).max(200).optional(),
      description: z.string().max(2000).optional(),
      enabled: z.boolean().optional(),
    })
    .meta({ id: "UpdateBundle" }),
  responses: {
    200: { description: "Updated", schema: Bundle },
    404: { description: "No such bundle", schema: ErrorBody },
    409: { description: "A bundle with that name exists", schema: ErrorBody },
    ...bodyErrorResponses,
    ...errorResponses,
  },
});

export const deleteBundle = defineOperation({
  method: "delete",
  path: "/api/v1/bundles/:id",
  operationId: "deleteBundle",
  summary: "Delete a bundle (refused while assigned or published unless ?force=true)",
  tag: "bundles",
  access: { kind: "user", scope: Scope.BundlesWrite, resource: bundleResource },
  params: IdParams,
  query: z.strictObject({ force: z.enum(["true", "false"]).optional() }),
  responses: {
    200: { description: "Deleted", schema: Bundle },
    404: { description: "No such bundle", schema: ErrorBody },
    409: { description: "Still assigned", schema: ErrorBody },
    ...errorResponses,
  },
});

export const setBundleObjects = defineOperation({
  method: "put",
  path: "/api/v1/bundles/:id/objects",
  operationId: "setBundleObjects",
  summary:
    "Set the bundle's files, their order and path inside the archive; the new archive replaces the old atomically",
  tag: "bundles",
  access: { kind: "user", scope: Scope.BundlesWrite, resource: bundleResource },
  params: IdParams,
  body: z
    .strictObject({
      objects: z.array(z.strictObject({ fileId: Id, path: z.string().max(1024).optional() })).max(10_000),
    })
    .meta({ id: "SetBundleObjects" }),
  responses: {
    200: { description: "The bundle with its new archive", schema: Bundle },
    404: { description: "No such bundle", schema: ErrorBody },
    ...bodyErrorResponses,
    ...errorResponses,
    403: { description: "Not allowed to write the bundle, or to read one of its files", schema: ErrorBody },
  },
});

export const exportBundleArchive = defineOperation({
  method: "get",
  path: "/api/v1/bundles/:id/archive",
  operationId: "exportBundleArchive",
  summary: "Download the bundle's current archive (zip) as a user: audited, no recipient limit is used",
  description:
    "Needs read on the bundle and, as releasing it does (ADR 014), read on each of its files. Answers " +
    "Range/If-Range with 206 so an interrupted export resumes; HEAD answers the headers only. Every answer " +
    "that sends bytes is audited (bundles.bundle.exported). Only authenticated plaintext is ever sent: a " +
    "failure mid-stream breaks the transfer.",
  tag: "bundles",
  access: { kind: "user", scope: Scope.BundlesRead, resource: bundleResource },
  params: IdParams,
  responses: {
    200: { description: "The whole archive (Content-Length, ETag)", media: "application/zip" },
    206: { description: "The requested byte range (Content-Range)", media: "application/zip" },
    404: { description: "No such bundle", schema: ErrorBody },
    409: {
      description: `The bundle has no files (details.reason ${DownloadRefusal.BundleEmpty}), or its content changed while the export started (try again)`,
      schema: ErrorBody,
    },
    416: { description: "Range not satisfiable (Content-Range: bytes */size)", schema: ErrorBody },
    ...errorResponses,
    403: { description: "Not allowed to read the bundle, or one of its files", schema: ErrorBody },
  },
});
