import { z } from "zod";
import { bodyErrorResponses, ErrorBody, errorResponses, Id, IdParams } from "../common.js";
import { defineOperation } from "../operation.js";
import { Scope } from "../scopes.js";

/** A publish link's state (its token is shown once, in the URL `createPublishLink` answers). */
export const PublishLink = z
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
export type PublishLink = z.output<typeof PublishLink>;

export const CreatedPublishLink = z
  .object({
    url: z.string().meta({ description: "the public /s/{token} URL, shown once" }),
    link: PublishLink,
  })
  .meta({ id: "CreatedPublishLink" });
export type CreatedPublishLink = z.output<typeof CreatedPublishLink>;

const tag = "publish links";
const bundleResource = { type: "bundle", param: "id" } as const;

export const createPublishLink = defineOperation({
  method: "post",
  path: "/api/v1/bundles/:id/links",
  operationId: "createPublishLink",
  summary: "Publish the bundle at a signed, expiring, use-limited URL (shown once)",
  tag,
  access: { kind: "user", scope: Scope.BundlesWrite, resource: bundleResource },
  params: IdParams,
  body: z
    .strictObject({
      expiresInSeconds: z.number().int().min(60).max(31_536_000),
      maxUses: z.number().int().min(0).max(1_000_000).optional().meta({ description: "0 = unlimited" }),
    })
    .meta({ id: "CreatePublishLink" }),
  responses: {
    201: { description: "Published", schema: CreatedPublishLink },
    404: { description: "No such bundle", schema: ErrorBody },
    ...bodyErrorResponses,
    ...errorResponses,
    403: { description: "Not allowed to write the bundle, or to read one of its files", schema: ErrorBody },
  },
});

export const listPublishLinks = defineOperation({
  method: "get",
  path: "/api/v1/bundles/:id/links",
  operationId: "listPublishLinks",
  summary: "The bundle's publish links, newest first",
  tag,
  access: { kind: "user", scope: Scope.BundlesRead, resource: bundleResource },
  params: IdParams,
  responses: {
    200: { description: "Links", schema: z.object({ items: z.array(PublishLink) }) },
    ...errorResponses,
  },
});

export const revokePublishLink = defineOperation({
  method: "delete",
  path: "/api/v1/links/:id",
  operationId: "revokePublishLink",
  summary: "Revoke a publish link at once",
  description:
    "Needs bundles:write on every bundle; a user granted it on some bundles only revokes through " +
    "revokeBundlePublishLink.",
  tag,
  access: { kind: "user", scope: Scope.BundlesWrite },
  params: IdParams,
  responses: {
    200: { description: "Revoked", schema: PublishLink },
    404: { description: "No such link", schema: ErrorBody },
    ...errorResponses,
  },
});

export const revokeBundlePublishLink = defineOperation({
  method: "delete",
  path: "/api/v1/bundles/:id/links/:linkId",
  operationId: "revokeBundlePublishLink",
  summary: "Revoke one of the bundle's publish links at once",
  description:
    "As revokePublishLink, authorized on the bundle: a user granted bundles:write on this bundle only may " +
    "revoke its links. A link of another bundle is not found.",
  tag,
  access: { kind: "user", scope: Scope.BundlesWrite, resource: bundleResource },
  params: z.strictObject({ id: Id, linkId: Id }),
  responses: {
    200: { description: "Revoked (or already revoked: unchanged)", schema: PublishLink },
    404: { description: "No such link on this bundle", schema: ErrorBody },
    ...errorResponses,
  },
});
