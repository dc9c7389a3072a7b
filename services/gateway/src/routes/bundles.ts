import type { bundlesV1 } from "@latchflow/proto";
import { Scope } from "@latchflow/runtime";
import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { authorizeEach } from "../policy.js";
import { defineRoute } from "../route.js";
import { ErrorResponse, errorResponses, IdParams, PageQuery } from "../schemas.js";

const Bundle = z
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

const CreateBundle = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).optional(),
  })
  .meta({ id: "CreateBundle" });

export function bundleToRest(b: bundlesV1.Bundle) {
  return {
    id: b.id,
    name: b.name,
    description: b.description,
    enabled: b.enabled,
    objects: b.objects,
    archive: {
      status: b.archive?.status ?? "empty",
      version: b.archive?.version ?? 0,
      size: b.archive?.size ?? 0,
      etag: b.archive?.etag ?? "",
      builtAt: b.archive?.builtAt?.toISOString() ?? null,
      files: b.archive?.files ?? 0,
    },
    createdAt: b.createdAt?.toISOString(),
    updatedAt: b.updatedAt?.toISOString(),
  };
}

export function bundleRoutes(clients: GatewayClients) {
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/bundles",
      operationId: "createBundle",
      summary: "Create a bundle",
      tag: "bundles",
      access: { kind: "user", scope: Scope.BundlesWrite },
      body: CreateBundle,
      responses: {
        201: { description: "Created", schema: Bundle },
        409: { description: "A bundle with that name exists", schema: ErrorResponse },
        413: { description: "Body too large", schema: ErrorResponse },
        415: { description: "Body is not JSON", schema: ErrorResponse },
        ...errorResponses,
      },
      handler: async ({ body, ctx }) => ({
        status: 201,
        body: bundleToRest(await clients.bundles.createBundle(body, ctx)),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/bundles",
      operationId: "listBundles",
      summary: "List bundles, newest first",
      tag: "bundles",
      access: { kind: "user", scope: Scope.BundlesRead },
      restrictable: true,
      query: PageQuery,
      responses: {
        200: {
          description: "A page of bundles",
          schema: z.object({ items: z.array(Bundle), nextCursor: z.string().nullable() }),
        },
        ...errorResponses,
      },
      handler: async ({ query, ctx, decision }) => {
        const restrictTo = decision?.restrictTo;
        const res = await clients.bundles.listBundles(
          {
            page: { cursor: query.cursor ?? "", limit: query.limit ?? 0 },
            ids: restrictTo ?? [],
            restricted: restrictTo !== undefined,
          },
          ctx,
        );
        return {
          status: 200,
          body: { items: res.bundles.map(bundleToRest), nextCursor: res.page?.nextCursor || null },
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/bundles/:id",
      operationId: "getBundle",
      summary: "Get one bundle",
      tag: "bundles",
      access: { kind: "user", scope: Scope.BundlesRead, resource: { type: "bundle", param: "id" } },
      params: IdParams,
      responses: {
        200: { description: "The bundle", schema: Bundle },
        404: { description: "No such bundle", schema: ErrorResponse },
        ...errorResponses,
      },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: bundleToRest(await clients.bundles.getBundle({ id: params.id }, ctx)),
      }),
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/bundles/:id",
      operationId: "updateBundle",
      summary: "Rename, describe, enable or disable a bundle",
      tag: "bundles",
      access: { kind: "user", scope: Scope.BundlesWrite, resource: { type: "bundle", param: "id" } },
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
        404: { description: "No such bundle", schema: ErrorResponse },
        ...errorResponses,
      },
      handler: async ({ params, body, ctx }) => ({
        status: 200,
        body: bundleToRest(await clients.bundles.updateBundle({ id: params.id, ...body }, ctx)),
      }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/bundles/:id",
      operationId: "deleteBundle",
      summary: "Delete a bundle (refused while assigned or published unless ?force=true)",
      tag: "bundles",
      access: { kind: "user", scope: Scope.BundlesWrite, resource: { type: "bundle", param: "id" } },
      params: IdParams,
      query: z.strictObject({ force: z.enum(["true", "false"]).optional() }),
      responses: {
        200: { description: "Deleted", schema: Bundle },
        409: { description: "Still assigned", schema: ErrorResponse },
        ...errorResponses,
      },
      handler: async ({ params, query, ctx }) => ({
        status: 200,
        body: bundleToRest(
          await clients.bundles.deleteBundle({ id: params.id, force: query.force === "true" }, ctx),
        ),
      }),
    }),
    defineRoute({
      method: "put",
      path: "/api/v1/bundles/:id/objects",
      operationId: "setBundleObjects",
      summary:
        "Set the bundle's files, their order and path inside the archive; the new archive replaces the old atomically",
      tag: "bundles",
      access: { kind: "user", scope: Scope.BundlesWrite, resource: { type: "bundle", param: "id" } },
      params: IdParams,
      body: z
        .strictObject({
          objects: z
            .array(z.strictObject({ fileId: IdParams.shape.id, path: z.string().max(1024).optional() }))
            .max(10_000),
        })
        .meta({ id: "SetBundleObjects" }),
      responses: {
        200: { description: "The bundle with its new archive", schema: Bundle },
        ...errorResponses,
        403: {
          description: "Not allowed to write the bundle, or to read one of its files",
          schema: ErrorResponse,
        },
      },
      handler: async ({ params, body, ctx, identity }) => {
        // a file goes into a bundle only if the caller may read it (a publish link would serve it otherwise)
        authorizeEach(
          identity,
          Scope.FilesRead,
          "file",
          body.objects.map((o) => o.fileId),
        );
        const objects = body.objects.map((o) => ({ fileId: o.fileId, path: o.path ?? "" }));
        const bundle = await clients.bundles.setBundleObjects({ bundleId: params.id, objects }, ctx);
        return { status: 200, body: bundleToRest(bundle) };
      },
    }),
  ];
}
