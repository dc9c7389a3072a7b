import { createHash, randomBytes } from "node:crypto";
import type { bundlesV1 } from "@latchflow/proto";
import { newId, notFound, type RequestContext, validationFailed } from "@latchflow/runtime";
import { emitEvent as emit } from "@latchflow/runtime/db";
import type { BundlesContext } from "../context.js";
import { PublishLink } from "../entities/index.js";
import { findBundle } from "./bundles.js";

const MAX_LIFETIME_SECONDS = 365 * 24 * 3600;

function toProto(l: PublishLink): bundlesV1.PublishLink {
  return {
    id: l.id,
    bundleId: l.bundleId,
    expiresAt: l.expiresAt,
    maxUses: l.maxUses ?? 0,
    uses: l.uses,
    createdAt: l.createdAt,
    ...(l.revokedAt ? { revokedAt: l.revokedAt } : {}),
  };
}

/** Signed, expiring, use-limited public links to a bundle (the token is 256 random bits, stored hashed). */
export function createLinksApi(auth: BundlesContext) {
  const { db } = auth;
  return {
    async createPublishLink(
      req: bundlesV1.CreatePublishLinkRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.CreatedPublishLink> {
      if (req.expiresInSeconds < 60 || req.expiresInSeconds > MAX_LIFETIME_SECONDS) {
        throw validationFailed("expiresInSeconds must be between 60 seconds and one year", {
          field: "expiresInSeconds",
        });
      }
      const token = randomBytes(32).toString("base64url");
      const now = auth.now();
      const link = await db.em().transactional(async (tx) => {
        await findBundle(tx, ctx, req.bundleId);
        const l = tx.create(PublishLink, {
          id: newId(now),
          tenant: ctx.tenant,
          bundleId: req.bundleId,
          tokenHash: createHash("sha256").update(token, "utf8").digest("hex"),
          maxUses: req.maxUses || null,
          uses: 0,
          expiresAt: new Date(now.getTime() + req.expiresInSeconds * 1000),
          createdAt: now,
          revokedAt: null,
        });
        await emit(
          tx,
          ctx,
          "bundles.link.created",
          { linkId: l.id, bundleId: l.bundleId },
          {
            linkId: l.id,
            bundleId: l.bundleId,
            maxUses: req.maxUses,
            expiresAt: l.expiresAt.toISOString(),
          },
        );
        return l;
      });
      auth.relay.nudge();
      return { token, link: toProto(link) };
    },

    async listPublishLinks(
      req: bundlesV1.ListPublishLinksRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.ListPublishLinksResponse> {
      const rows = await db
        .em()
        .find(
          PublishLink,
          { tenant: ctx.tenant, ...(req.bundleId ? { bundleId: req.bundleId } : {}) },
          { orderBy: { id: "desc" } },
        );
      return { links: rows.map(toProto) };
    },

    async revokePublishLink(
      req: bundlesV1.RevokePublishLinkRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.PublishLink> {
      const link = await db.em().transactional(async (tx) => {
        const l = await tx.findOne(PublishLink, {
          id: req.id,
          tenant: ctx.tenant,
          ...(req.bundleId ? { bundleId: req.bundleId } : {}),
        });
        if (!l) throw notFound("Publish link not found", { linkId: req.id });
        if (!l.revokedAt) {
          l.revokedAt = auth.now();
          await emit(
            tx,
            ctx,
            "bundles.link.revoked",
            { linkId: l.id, bundleId: l.bundleId },
            { linkId: l.id, bundleId: l.bundleId },
          );
        }
        return l;
      });
      auth.relay.nudge();
      return toProto(link);
    },
  };
}
