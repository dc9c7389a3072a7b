import { DownloadRefusal } from "@latchflow/api";
import {
  ErrorCode,
  LatchflowError,
  notFound,
  permissionDenied,
  type RequestContext,
} from "@latchflow/runtime";
import { type EntityManager, emitEvent as emit, sqlDate, sqlTable } from "@latchflow/runtime/db";
import type { BundlesContext } from "../context.js";
import { Assignment, Bundle } from "../entities/index.js";
import { checkPassphrase } from "./passphrase-throttle.js";

/** A refused download: 403 with `details.reason`. */
export function denied(
  reason: DownloadRefusal,
  message: string,
  details: Record<string, unknown> = {},
): LatchflowError {
  return permissionDenied(message, { reason, ...details });
}

/**
 * Why the assignment gives no access right now (disabled, or outside its window), or undefined. Checked when
 * a download is consumed and again on every request of its grant, so revocation takes effect at once.
 */
export function accessRefusal(a: Assignment, now: Date): LatchflowError | undefined {
  if (!a.enabled) return denied(DownloadRefusal.Disabled, "This assignment is disabled");
  if (a.notBefore && a.notBefore > now) {
    return denied(DownloadRefusal.NotYetOpen, `Downloads open at ${a.notBefore.toISOString()}`, {
      opensAt: a.notBefore.toISOString(),
    });
  }
  if (a.notAfter && a.notAfter <= now) {
    return denied(DownloadRefusal.Closed, `Downloads closed at ${a.notAfter.toISOString()}`, {
      closedAt: a.notAfter.toISOString(),
    });
  }
  return undefined;
}

/** The sender asked for an acknowledgement of the (current) message and the recipient has not given it yet. */
function acknowledgementRefusal(a: Assignment): LatchflowError | undefined {
  if (!a.acknowledgementRequired || a.acknowledgedAt) return undefined;
  return denied(
    DownloadRefusal.AcknowledgementRequired,
    "Please confirm you have read the sender's message before downloading",
  );
}

/** Works out why the conditional update changed nothing (after the fact, from the row as it is now). */
function refusal(a: Assignment, now: Date): LatchflowError {
  const closed = accessRefusal(a, now);
  if (closed) return closed;
  const unread = acknowledgementRefusal(a);
  if (unread) return unread;
  if (a.maxDownloads != null && a.downloadsUsed >= a.maxDownloads) {
    return denied(DownloadRefusal.LimitReached, "No downloads left", { maxDownloads: a.maxDownloads });
  }
  if (a.cooldownUntil && a.cooldownUntil > now) {
    const retryAfterSeconds = Math.ceil((a.cooldownUntil.getTime() - now.getTime()) / 1000);
    return new LatchflowError(
      ErrorCode.RateLimited,
      `Next download possible at ${a.cooldownUntil.toISOString()}`,
      {
        details: {
          reason: DownloadRefusal.Cooldown,
          retryAfterSeconds,
          availableAt: a.cooldownUntil.toISOString(),
        },
      },
    );
  }
  return denied(DownloadRefusal.LimitReached, "The download could not be granted");
}

/** Records a refused download (`bundles.download.denied`, with the reason) and returns the error to throw. */
export async function recordDenied(
  auth: BundlesContext,
  ctx: RequestContext,
  who: { bundleId: string; recipientId: string; assignmentId: string },
  err: LatchflowError,
): Promise<LatchflowError> {
  await auth.db.em().transactional((tx) =>
    emit(tx, ctx, "bundles.download.denied", who, {
      bundleId: who.bundleId,
      recipientId: who.recipientId,
      reason: String(err.details?.reason ?? err.code),
    }),
  );
  auth.relay.nudge();
  return err;
}

/**
 * Takes one download from the assignment with ONE conditional UPDATE that checks enabled, max downloads,
 * cooldown, the access window and the acknowledgement together, so concurrent requests can never take more than allowed (valid
 * SQLite and Postgres: the counter and the limits are compared in the row, dates as bound parameters).
 * `then` runs in the same transaction (the grant is written with the consumption, or neither is).
 */
export async function consumeOne<T>(
  auth: BundlesContext,
  ctx: RequestContext,
  input: { bundleId: string; recipientId: string; passphrase: string },
  then: (tx: EntityManager, assignment: Assignment, bundle: Bundle) => Promise<T>,
): Promise<T> {
  const { db } = auth;
  const em = db.em();
  const assignment = await em.findOne(Assignment, {
    tenant: ctx.tenant,
    bundleId: input.bundleId,
    recipientId: input.recipientId,
  });
  if (!assignment) throw notFound("No such bundle for you", { bundleId: input.bundleId });
  const bundle = await em.findOne(Bundle, { id: input.bundleId, tenant: ctx.tenant });
  if (!bundle) throw notFound("No such bundle for you", { bundleId: input.bundleId });
  const now = auth.now();
  const refuse = (err: LatchflowError) =>
    recordDenied(
      auth,
      ctx,
      { bundleId: bundle.id, recipientId: input.recipientId, assignmentId: assignment.id },
      err,
    );
  if (!bundle.enabled)
    throw await refuse(denied(DownloadRefusal.BundleDisabled, "This bundle is not available"));
  if (!bundle.currentVersionId)
    throw await refuse(denied(DownloadRefusal.BundleEmpty, "This bundle has no files yet"));
  // before the passphrase: reading the message comes first, and costs no passphrase attempt
  const unread = acknowledgementRefusal(assignment);
  if (unread) throw await refuse(unread);
  if (assignment.passphraseHash) {
    const { passphraseHash, id: assignmentId } = assignment;
    await checkPassphrase({
      db,
      ctx,
      assignmentId,
      passphraseHash,
      passphrase: input.passphrase,
      now,
      refuse,
    });
  }
  const t = sqlTable(db, "assignments");
  const at = sqlDate(db, now);
  const until = sqlDate(db, new Date(now.getTime() + assignment.cooldownSeconds * 1000));
  const sql = `UPDATE ${t} SET downloads_used = downloads_used + 1, last_download_at = ?, cooldown_until = ?, updated_at = ?
    WHERE id = ? AND enabled = TRUE
      AND (max_downloads IS NULL OR downloads_used < max_downloads)
      AND (cooldown_until IS NULL OR cooldown_until <= ?)
      AND (not_before IS NULL OR not_before <= ?)
      AND (not_after IS NULL OR not_after > ?)
      AND (acknowledgement_required = FALSE OR acknowledged_at IS NOT NULL)`;
  const outcome = await em.transactional(async (tx) => {
    const result = (await tx
      .getConnection()
      .execute(sql, [at, until, at, assignment.id, at, at, at], "run", tx.getTransactionContext())) as {
      affectedRows?: number;
      rowCount?: number;
    };
    if ((result.affectedRows ?? result.rowCount ?? 0) !== 1) return { granted: false as const };
    const fresh = await tx.findOneOrFail(Assignment, { id: assignment.id }, { refresh: true });
    return { granted: true as const, value: await then(tx, fresh, bundle) };
  });
  if (!outcome.granted)
    throw await refuse(refusal(await db.em().findOneOrFail(Assignment, { id: assignment.id }), now));
  auth.relay.nudge();
  return outcome.value;
}
