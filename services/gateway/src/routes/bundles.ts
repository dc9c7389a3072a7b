import type { bundlesV1 } from "@latchflow/proto";
import { Scope } from "@latchflow/runtime";
import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { defineRoute } from "../route.js";
import { ErrorResponse, errorResponses, IdParams, PageQuery } from "../schemas.js";

const Bundle = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
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

function toRest(b: bundlesV1.Bundle) {
  return {
    id: b.id,
    name: b.name,
    description: b.description,
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
        body: toRest(await clients.bundles.createBundle(body, ctx)),
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
          body: { items: res.bundles.map(toRest), nextCursor: res.page?.nextCursor || null },
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
        body: toRest(await clients.bundles.getBundle({ id: params.id }, ctx)),
      }),
    }),
  ];
}
