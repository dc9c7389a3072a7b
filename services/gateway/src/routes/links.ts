import type { bundlesV1 } from "@latchflow/proto";
import { Scope } from "@latchflow/runtime";
import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { authorizeRelease } from "../policy.js";
import { defineRoute } from "../route.js";
import { ErrorResponse, errorResponses, IdParams } from "../schemas.js";

const PublishLink = z
  .object({
    id: z.string(),
    bundleId: z.string(),
    expiresAt: z.iso.datetime(),
    maxUses: z.number().meta({ description: "0 = unlimited" }),
    uses: z.number(),
    createdAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "PublishLink" });

const linkToRest = (l: bundlesV1.PublishLink | undefined) =>
  l && {
    id: l.id,
    bundleId: l.bundleId,
    expiresAt: l.expiresAt?.toISOString(),
    maxUses: l.maxUses,
    uses: l.uses,
    createdAt: l.createdAt?.toISOString(),
    revokedAt: l.revokedAt?.toISOString() ?? null,
  };

export function linkRoutes(clients: GatewayClients, linkBase: () => string) {
  const tag = "publish links";
  const write = { kind: "user", scope: Scope.BundlesWrite } as const;
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/bundles/:id/links",
      operationId: "createPublishLink",
      summary: "Publish the bundle at a signed, expiring, use-limited URL (shown once)",
      tag,
      access: { ...write, resource: { type: "bundle", param: "id" } },
      params: IdParams,
      body: z
        .strictObject({
          expiresInSeconds: z.number().int().min(60).max(31_536_000),
          maxUses: z.number().int().min(0).max(1_000_000).optional().meta({ description: "0 = unlimited" }),
        })
        .meta({ id: "CreatePublishLink" }),
      responses: {
        201: { description: "Published", schema: z.object({ url: z.string(), link: PublishLink }) },
        ...errorResponses,
      },
      handler: async ({ params, body, ctx, identity }) => {
        authorizeRelease(identity, await clients.bundles.getBundle({ id: params.id }, ctx));
        const created = await clients.bundles.createPublishLink(
          { bundleId: params.id, expiresInSeconds: body.expiresInSeconds, maxUses: body.maxUses ?? 0 },
          ctx,
        );
        return {
          status: 201,
          body: { url: `${linkBase()}/s/${created.token}`, link: linkToRest(created.link) },
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/bundles/:id/links",
      operationId: "listPublishLinks",
      summary: "The bundle's publish links",
      tag,
      access: { kind: "user", scope: Scope.BundlesRead, resource: { type: "bundle", param: "id" } },
      params: IdParams,
      responses: {
        200: { description: "Links", schema: z.object({ items: z.array(PublishLink) }) },
        ...errorResponses,
      },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: {
          items: (await clients.bundles.listPublishLinks({ bundleId: params.id }, ctx)).links.map(linkToRest),
        },
      }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/links/:id",
      operationId: "revokePublishLink",
      summary: "Revoke a publish link at once",
      tag,
      access: write,
      params: IdParams,
      responses: {
        200: { description: "Revoked", schema: PublishLink },
        404: { description: "No such link", schema: ErrorResponse },
        ...errorResponses,
      },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: linkToRest(await clients.bundles.revokePublishLink({ id: params.id }, ctx)),
      }),
    }),
  ];
}
