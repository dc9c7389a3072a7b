import { DownloadRefusal } from "@latchflow/api";
import type { bundlesV1 } from "@latchflow/proto";
import { conflict, type RequestContext } from "@latchflow/runtime";
import { emitEvent as emit } from "@latchflow/runtime/db";
import type { BundlesContext } from "../context.js";
import { BundleVersion } from "../entities/index.js";
import { manifestOf } from "../versions.js";
import { answerArchive } from "./archive-answer.js";
import { findBundle } from "./bundles.js";

const empty = () => conflict("This bundle has no files to export", { reason: DownloadRefusal.BundleEmpty });

/**
 * Resolves GET /api/v1/bundles/{id}/archive (a user exporting a bundle) to the pieces of its current archive,
 * through the same archive plan as the recipients' downloads. The gateway has decided who may export; this
 * service serves only an archive whose every file the gateway authorized, counts nothing against recipients,
 * and audits every answer that sends bytes.
 */
export function createExportApi(auth: BundlesContext) {
  const { db } = auth;
  return {
    async openBundleExport(
      req: bundlesV1.OpenBundleExportRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.ArchiveRange> {
      const em = db.em();
      const bundle = await findBundle(em, ctx, req.bundleId);
      const version = bundle.currentVersionId
        ? await em.findOne(BundleVersion, { id: bundle.currentVersionId })
        : null;
      if (!version || version.files === 0) throw empty();
      const authorized = new Set(req.authorizedFileIds);
      if (manifestOf(version).some((m) => !authorized.has(m.fileId)))
        throw conflict("The bundle's content changed while the export started; try again", {
          bundleId: bundle.id,
        });
      return answerArchive(req, version, bundle.name, async (range) => {
        const data = { bundleId: bundle.id, versionId: version.id, version: version.number };
        await db
          .em()
          .transactional((tx) =>
            emit(
              tx,
              ctx,
              "bundles.bundle.exported",
              { bundleId: bundle.id, versionId: version.id },
              { ...data, etag: range.etag, start: range.start, bytes: range.bytes, size: range.size },
            ),
          );
        auth.relay.nudge();
      });
    },
  };
}
