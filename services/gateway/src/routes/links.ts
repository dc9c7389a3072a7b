import { operations, type schemas } from "@latchflow/api";
import type { bundlesV1 } from "@latchflow/proto";
import type { GatewayClients } from "../clients.js";
import { authorizeRelease } from "../policy.js";
import { implement } from "../route.js";

export function linkToRest(l: bundlesV1.PublishLink): schemas.PublishLink {
  return {
    id: l.id,
    bundleId: l.bundleId,
    expiresAt: (l.expiresAt ?? new Date(0)).toISOString(),
    maxUses: l.maxUses,
    uses: l.uses,
    createdAt: (l.createdAt ?? new Date(0)).toISOString(),
    revokedAt: l.revokedAt?.toISOString() ?? null,
  };
}

export function linkRoutes(clients: GatewayClients, linkBase: () => string) {
  return [
    implement(operations.createPublishLink, async ({ params, body, ctx, identity }) => {
      authorizeRelease(identity, await clients.bundles.getBundle({ id: params.id }, ctx));
      const created = await clients.bundles.createPublishLink(
        { bundleId: params.id, expiresInSeconds: body.expiresInSeconds, maxUses: body.maxUses ?? 0 },
        ctx,
      );
      const answer: schemas.CreatedPublishLink = {
        url: `${linkBase()}/s/${created.token}`,
        link: linkToRest(created.link!),
      };
      return { status: 201, body: answer };
    }),
    implement(operations.listPublishLinks, async ({ params, ctx }) => {
      const { links } = await clients.bundles.listPublishLinks({ bundleId: params.id }, ctx);
      return { status: 200, body: { items: links.map(linkToRest) } };
    }),
    implement(operations.revokePublishLink, async ({ params, ctx }) => ({
      status: 200,
      body: linkToRest(await clients.bundles.revokePublishLink({ id: params.id, bundleId: "" }, ctx)),
    })),
    implement(operations.revokeBundlePublishLink, async ({ params, ctx }) => ({
      status: 200,
      body: linkToRest(
        await clients.bundles.revokePublishLink({ id: params.linkId, bundleId: params.id }, ctx),
      ),
    })),
  ];
}
