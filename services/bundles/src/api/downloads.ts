import { randomBytes } from "node:crypto";
import type { bundlesV1 } from "@latchflow/proto";
import {
  decodeCursor,
  newId,
  pageLimit,
  type RequestContext,
  toPage,
  validationFailed,
} from "@latchflow/runtime";
import { emitEvent as emit } from "@latchflow/runtime/db";
import { type BundlesContext, SETTINGS } from "../context.js";
import { Bundle, BundleVersion, DownloadGrant } from "../entities/index.js";
import { assignmentToProto } from "./assignments.js";
import { consumeOne } from "./consume.js";
import { hashToken } from "./open-archive.js";

const DEVICE_ID = /^[A-Za-z0-9_-]{16,64}$/;

export function createDownloadsApi(auth: BundlesContext) {
  const { db } = auth;
  return {
    async consumeDownload(
      req: bundlesV1.ConsumeDownloadRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.DownloadGrant> {
      if (!req.sessionId) throw validationFailed("sessionId is required: a grant is bound to the session");
      const deviceId = DEVICE_ID.test(req.deviceId) ? req.deviceId : "";
      const token = randomBytes(32).toString("base64url");
      const now = auth.now();
      return consumeOne(auth, ctx, req, async (tx, assignment, bundle) => {
        const seen = deviceId ? await tx.count(DownloadGrant, { recipientId: req.recipientId, deviceId }) : 0;
        const grant = tx.create(DownloadGrant, {
          id: newId(now),
          tenant: ctx.tenant,
          assignmentId: assignment.id,
          bundleId: bundle.id,
          recipientId: req.recipientId,
          versionId: bundle.currentVersionId!,
          tokenHash: hashToken(token),
          deviceId,
          sessionId: req.sessionId.slice(0, 64),
          newDevice: seen === 0,
          ip: (ctx.client?.ip ?? "").slice(0, 64),
          userAgent: (ctx.client?.userAgent ?? "").slice(0, 512),
          createdAt: now,
          expiresAt: new Date(now.getTime() + SETTINGS.grantTtlMs),
        });
        await emit(
          tx,
          ctx,
          "bundles.download.granted",
          {
            grantId: grant.id,
            bundleId: bundle.id,
            recipientId: req.recipientId,
            assignmentId: assignment.id,
          },
          {
            grantId: grant.id,
            assignmentId: assignment.id,
            bundleId: bundle.id,
            recipientId: req.recipientId,
            versionId: grant.versionId,
            newDevice: grant.newDevice,
          },
        );
        return {
          id: grant.id,
          token,
          expiresAt: grant.expiresAt,
          assignment: assignmentToProto(assignment, now, bundle.name),
          newDevice: grant.newDevice,
        };
      });
    },

    async listDownloads(
      req: bundlesV1.ListDownloadsRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.ListDownloadsResponse> {
      const limit = pageLimit(req.page?.limit);
      const before = decodeCursor(req.page?.cursor);
      if (!req.recipientId && !req.assignmentId) {
        throw validationFailed("recipientId or assignmentId is required");
      }
      const em = db.em();
      const rows = await em.find(
        DownloadGrant,
        {
          tenant: ctx.tenant,
          ...(req.recipientId ? { recipientId: req.recipientId } : {}),
          ...(req.assignmentId ? { assignmentId: req.assignmentId } : {}),
          ...(before ? { id: { $lt: before } } : {}),
        },
        { orderBy: { id: "desc" }, limit: limit + 1 },
      );
      const page = toPage(rows, limit, (g) => g.id);
      const bundles = new Map(
        (await em.find(Bundle, { id: { $in: page.items.map((g) => g.bundleId) } })).map((b) => [b.id, b]),
      );
      const versions = new Map(
        (await em.find(BundleVersion, { id: { $in: page.items.map((g) => g.versionId) } })).map((v) => [
          v.id,
          v,
        ]),
      );
      return {
        downloads: page.items.map((g) => ({
          id: g.id,
          bundleId: g.bundleId,
          bundleName: bundles.get(g.bundleId)?.name ?? "",
          grantedAt: g.createdAt,
          expiresAt: g.expiresAt,
          newDevice: g.newDevice,
          ip: g.ip,
          userAgent: g.userAgent,
          thisDevice: req.deviceId !== "" && g.deviceId === req.deviceId,
          deviceId: g.deviceId,
          version: versions.get(g.versionId)?.number ?? 0,
          size: versions.get(g.versionId)?.size ?? 0,
          // reserved minus given back: a resume that re-fetched a little counts once
          bytesSent: Math.min(g.bytesServed, versions.get(g.versionId)?.size ?? 0),
          completedAt: g.completedAt ?? undefined,
        })),
        page: { nextCursor: page.nextCursor },
      };
    },
  };
}
