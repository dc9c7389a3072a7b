import { createHash, randomBytes } from "node:crypto";
import type { bundlesV1 } from "@latchflow/proto";
import {
  decodeCursor,
  emitEvent as emit,
  newId,
  notFound,
  pageLimit,
  permissionDenied,
  type RequestContext,
  sqlDate,
  sqlTable,
  toPage,
  validationFailed,
} from "@latchflow/runtime";
import { ifRangeMatches, parseRange, sliceZip } from "../archive/index.js";
import { type BundlesContext, SETTINGS } from "../context.js";
import { Bundle, BundleVersion, DownloadGrant, PublishLink } from "../entities/index.js";
import { manifestOf, planOf } from "../versions.js";
import { assignmentToProto } from "./assignments.js";
import { consumeOne } from "./consume.js";

const hashToken = (t: string) => createHash("sha256").update(t, "utf8").digest("hex");
const DEVICE_ID = /^[A-Za-z0-9_-]{16,64}$/;

/** `family archive.zip` from a bundle name: safe in Content-Disposition. */
function archiveFileName(name: string): string {
  const base =
    name
      .replace(/[^\p{L}\p{N} ._-]+/gu, "_")
      .replace(/^[.\s]+/, "")
      .slice(0, 100) || "bundle";
  return `${base}.zip`;
}

export function createDownloadsApi(auth: BundlesContext) {
  const { db } = auth;
  return {
    async consumeDownload(
      req: bundlesV1.ConsumeDownloadRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.DownloadGrant> {
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
          newDevice: seen === 0,
          ip: (ctx.client?.ip ?? "").slice(0, 64),
          userAgent: (ctx.client?.userAgent ?? "").slice(0, 512),
          createdAt: now,
          expiresAt: new Date(now.getTime() + SETTINGS.grantTtlMs),
        });
        emit(
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
      const em = db.em();
      const rows = await em.find(
        DownloadGrant,
        { tenant: ctx.tenant, recipientId: req.recipientId, ...(before ? { id: { $lt: before } } : {}) },
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
          version: versions.get(g.versionId)?.number ?? 0,
        })),
        page: { nextCursor: page.nextCursor },
      };
    },

    /**
     * Resolves a grant (GET /dl/{token}) or publish link (GET /s/{token}) to the pieces of the archive that
     * cover the requested range. A grant serves the version it was granted until it expires; resuming
     * consumes nothing. A link serves the bundle's current version and uses up one use per request that
     * starts at byte 0 (a resume does not).
     */
    async openArchive(
      req: bundlesV1.OpenArchiveRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.ArchiveRange> {
      const em = db.em();
      const now = auth.now();
      const gone = () => notFound("This download link is unknown or has expired", { reason: "link_invalid" });
      let version: BundleVersion | null = null;
      let bundle: Bundle | null = null;
      let grantId = "";
      // whose download it is (grants only; a publish link is anonymous by design)
      let holder: { recipientId: string; assignmentId: string } | undefined;
      const hash = hashToken(req.token);
      if (req.kind === "grant") {
        const grant = await em.findOne(DownloadGrant, { tokenHash: hash });
        if (!grant || grant.expiresAt <= now) throw gone();
        version = await em.findOne(BundleVersion, { id: grant.versionId });
        bundle = await em.findOne(Bundle, { id: grant.bundleId });
        grantId = grant.id;
        holder = { recipientId: grant.recipientId, assignmentId: grant.assignmentId };
      } else if (req.kind === "link") {
        const link = await em.findOne(PublishLink, { tokenHash: hash });
        if (!link || link.revokedAt || link.expiresAt <= now) throw gone();
        bundle = await em.findOne(Bundle, { id: link.bundleId });
        if (!bundle?.enabled)
          throw permissionDenied("This bundle is not available", { reason: "bundle_disabled" });
        version = bundle.currentVersionId
          ? await em.findOne(BundleVersion, { id: bundle.currentVersionId })
          : null;
        grantId = link.id;
        const range = parseRange(req.range || undefined, version?.size ?? 0);
        const resumes = range.kind === "partial" && range.start > 0;
        if (!resumes) {
          const t = sqlTable(db, "publish_links");
          const used = (await em
            .getConnection()
            .execute(
              `UPDATE ${t} SET uses = uses + 1 WHERE id = ? AND revoked_at IS NULL AND expires_at > ? AND (max_uses IS NULL OR uses < max_uses)`,
              [link.id, sqlDate(db, now)],
              "run",
            )) as { affectedRows?: number };
          if ((used.affectedRows ?? 0) !== 1)
            throw permissionDenied("This link has been used up", { reason: "link_used_up" });
        }
      } else {
        throw validationFailed("kind must be grant or link");
      }
      if (!version || !bundle || version.releasedAt) throw gone();
      const plan = planOf(version);
      const wanted =
        req.ifRange && !ifRangeMatches(req.ifRange, plan.etag) ? undefined : req.range || undefined;
      const range = parseRange(wanted, plan.size);
      const base = { totalSize: plan.size, etag: plan.etag, filename: archiveFileName(bundle.name) };
      if (range.kind === "unsatisfiable") return { ...base, status: 416, start: 0, end: 0, pieces: [] };
      const [start, end] = range.kind === "partial" ? [range.start, range.end] : [0, plan.size - 1];
      if (start === 0) {
        await em.transactional(async (tx) =>
          emit(
            tx,
            ctx,
            "bundles.download.started",
            { bundleId: bundle.id, versionId: version.id, ...holder },
            {
              via: req.kind === "grant" ? "grant" : "link",
              grantId,
              bundleId: bundle.id,
              versionId: version.id,
            },
          ),
        );
        auth.relay.nudge();
      }
      const manifest = manifestOf(version);
      const pieces = plan.size === 0 ? [] : sliceZip(plan, start, end);
      return {
        ...base,
        status: range.kind === "partial" ? 206 : 200,
        start,
        end,
        pieces: pieces.map((p) =>
          p.kind === "bytes"
            ? { piece: { $case: "data" as const, data: p.data } }
            : {
                piece: {
                  $case: "blob" as const,
                  blob: { blobId: manifest[p.index]!.blobId, offset: p.from, length: p.length },
                },
              },
        ),
      };
    },
  };
}
