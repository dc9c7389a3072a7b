import { createHash } from "node:crypto";
import { DownloadRefusal } from "@latchflow/api";
import type { bundlesV1 } from "@latchflow/proto";
import {
  type LatchflowError,
  notFound,
  type RequestContext,
  unauthenticated,
  validationFailed,
} from "@latchflow/runtime";
import { emitEvent as emit } from "@latchflow/runtime/db";
import type { BundlesContext } from "../context.js";
import { Assignment, Bundle, BundleVersion, DownloadGrant, PublishLink } from "../entities/index.js";
import { answerArchive } from "./archive-answer.js";
import { completeGrant, releaseBytes, reserveGrantBytes, serveLinkBytes } from "./byte-budget.js";
import { accessRefusal, denied, recordDenied } from "./consume.js";

export const hashToken = (t: string) => createHash("sha256").update(t, "utf8").digest("hex");

const gone = () =>
  notFound("This download link is unknown or has expired", { reason: DownloadRefusal.LinkInvalid });

/** What a request may be served: the version, the bundle, and whose download it is (grants only). */
interface Opened {
  version: BundleVersion;
  bundle: Bundle;
  sourceId: string;
  holder?: { recipientId: string; assignmentId: string };
}

/**
 * Resolves GET /dl/{token} (a recipient's grant) and GET /s/{token} (a publish link) to the archive pieces of
 * the requested range. Every request re-checks what the download depends on and reserves its bytes against
 * a budget, so a grant is one logical download (resumes are free, a second transfer is not) and a link's
 * uses are counted by what is actually served (ADR 015).
 */
export function createArchiveApi(auth: BundlesContext) {
  const { db } = auth;

  const refuse = (ctx: RequestContext, g: DownloadGrant, err: LatchflowError) =>
    recordDenied(
      auth,
      ctx,
      { bundleId: g.bundleId, recipientId: g.recipientId, assignmentId: g.assignmentId },
      err,
    );

  /** A grant serves only its own session, while its assignment, window and bundle still allow it. */
  const openGrant = async (req: bundlesV1.OpenArchiveRequest, ctx: RequestContext): Promise<Opened> => {
    const em = db.em();
    const now = auth.now();
    const grant = await em.findOne(DownloadGrant, { tokenHash: hashToken(req.token) });
    if (!grant || grant.expiresAt <= now) throw gone();
    if (!req.sessionId) throw unauthenticated("Sign in to the portal to download");
    if (!grant.sessionId || grant.sessionId !== req.sessionId || grant.recipientId !== req.recipientId) {
      throw await refuse(
        ctx,
        grant,
        denied(DownloadRefusal.OtherSession, "This download belongs to another session; start it again"),
      );
    }
    const assignment = await em.findOne(Assignment, { id: grant.assignmentId });
    if (!assignment)
      throw await refuse(
        ctx,
        grant,
        denied(DownloadRefusal.AssignmentDeleted, "This bundle is no longer yours"),
      );
    const closed = accessRefusal(assignment, now);
    if (closed) throw await refuse(ctx, grant, closed);
    const bundle = await em.findOne(Bundle, { id: grant.bundleId });
    if (!bundle) throw gone();
    if (!bundle.enabled)
      throw await refuse(ctx, grant, denied(DownloadRefusal.BundleDisabled, "This bundle is not available"));
    const version = await em.findOne(BundleVersion, { id: grant.versionId });
    if (!version || version.releasedAt) throw gone();
    const holder = { recipientId: grant.recipientId, assignmentId: grant.assignmentId };
    return { version, bundle, sourceId: grant.id, holder };
  };

  const openLink = async (req: bundlesV1.OpenArchiveRequest): Promise<Opened> => {
    const em = db.em();
    const link = await em.findOne(PublishLink, { tokenHash: hashToken(req.token) });
    if (!link || link.revokedAt || link.expiresAt <= auth.now()) throw gone();
    const bundle = await em.findOne(Bundle, { id: link.bundleId });
    if (!bundle?.enabled) throw denied(DownloadRefusal.BundleDisabled, "This bundle is not available");
    const version = bundle.currentVersionId
      ? await em.findOne(BundleVersion, { id: bundle.currentVersionId })
      : null;
    if (!version || version.releasedAt) throw gone();
    return { version, bundle, sourceId: link.id };
  };

  /** Takes the range's bytes from the grant's or link's budget (a link: a use when it must). */
  const reserve = async (
    ctx: RequestContext,
    opened: Opened,
    r: { start: number; bytes: number },
    size: number,
  ) => {
    const now = auth.now();
    if (opened.holder) {
      if (!(await reserveGrantBytes(db, opened.sourceId, r.bytes, size, now))) {
        const who = { bundleId: opened.bundle.id, ...opened.holder };
        const message = "This download is complete; start a new one from the portal";
        throw await recordDenied(auth, ctx, who, denied(DownloadRefusal.GrantExhausted, message));
      }
    } else if (!(await serveLinkBytes(db, opened.sourceId, { ...r, size }, now))) {
      throw denied(DownloadRefusal.LinkUsedUp, "This link has been used up");
    }
  };

  return {
    async openArchive(
      req: bundlesV1.OpenArchiveRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.ArchiveRange> {
      if (req.kind !== "grant" && req.kind !== "link") throw validationFailed("kind must be grant or link");
      const opened = req.kind === "grant" ? await openGrant(req, ctx) : await openLink(req);
      const { version, bundle, sourceId, holder } = opened;
      return answerArchive(req, version, bundle.name, async (range) => {
        if (range.size > 0) await reserve(ctx, opened, range, range.size);
        if (range.start !== 0) return;
        await db.em().transactional((tx) =>
          emit(
            tx,
            ctx,
            "bundles.download.started",
            { bundleId: bundle.id, versionId: version.id, ...holder },
            {
              via: req.kind === "grant" ? "grant" : "link",
              grantId: sourceId,
              bundleId: bundle.id,
              versionId: version.id,
            },
          ),
        );
        auth.relay.nudge();
      });
    },

    async releaseArchiveBytes(
      req: bundlesV1.ReleaseArchiveBytesRequest,
    ): Promise<bundlesV1.ReleaseArchiveBytesResponse> {
      if (req.kind !== "grant" && req.kind !== "link") throw validationFailed("kind must be grant or link");
      if (req.bytes > 0) await releaseBytes(db, req.kind, hashToken(req.token), req.bytes);
      return {};
    },

    async completeArchiveDownload(
      req: bundlesV1.CompleteArchiveDownloadRequest,
    ): Promise<bundlesV1.CompleteArchiveDownloadResponse> {
      if (!req.token) throw validationFailed("token is required");
      await completeGrant(db, hashToken(req.token), auth.now());
      return {};
    },
  };
}
