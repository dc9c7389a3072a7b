import { operations, Scope, type schemas } from "@latchflow/api";
import type { bundlesV1 } from "@latchflow/proto";
import type { GatewayClients } from "../clients.js";
import { authorizeEach } from "../policy.js";
import { implement } from "../route.js";

export function bundleToRest(b: bundlesV1.Bundle): schemas.Bundle {
  return {
    id: b.id,
    name: b.name,
    description: b.description,
    enabled: b.enabled,
    objects: b.objects,
    archive: {
      status: b.archive?.status === "ready" ? "ready" : "empty",
      version: b.archive?.version ?? 0,
      size: b.archive?.size ?? 0,
      etag: b.archive?.etag ?? "",
      builtAt: b.archive?.builtAt?.toISOString() ?? null,
      files: b.archive?.files ?? 0,
    },
    createdAt: (b.createdAt ?? new Date(0)).toISOString(),
    updatedAt: (b.updatedAt ?? new Date(0)).toISOString(),
  };
}

export function bundleRoutes(clients: GatewayClients) {
  return [
    implement(operations.createBundle, async ({ body, ctx }) => ({
      status: 201,
      body: bundleToRest(await clients.bundles.createBundle(body, ctx)),
    })),
    implement(operations.listBundles, async ({ query, ctx, decision }) => {
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
    }),
    implement(operations.getBundle, async ({ params, ctx }) => ({
      status: 200,
      body: bundleToRest(await clients.bundles.getBundle({ id: params.id }, ctx)),
    })),
    implement(operations.updateBundle, async ({ params, body, ctx }) => ({
      status: 200,
      body: bundleToRest(await clients.bundles.updateBundle({ id: params.id, ...body }, ctx)),
    })),
    implement(operations.deleteBundle, async ({ params, query, ctx }) => ({
      status: 200,
      body: bundleToRest(
        await clients.bundles.deleteBundle({ id: params.id, force: query.force === "true" }, ctx),
      ),
    })),
    implement(operations.setBundleObjects, async ({ params, body, ctx, identity }) => {
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
    }),
  ];
}
