import { MESSAGE_RULE, normalizeMessage } from "@latchflow/api";
import { PASSPHRASE_RULE, passphraseFollowsRule } from "@latchflow/plugin-sdk";
import type { bundlesV1 } from "@latchflow/proto";
import { conflict, newId, notFound, type RequestContext, validationFailed } from "@latchflow/runtime";
import { type EntityManager, emitEvent as emit } from "@latchflow/runtime/db";
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import { hash } from "@node-rs/argon2";
import type { BundlesContext } from "../context.js";
import { Assignment, Bundle } from "../entities/index.js";
import { findBundle } from "./bundles.js";

const MAX_COOLDOWN = 365 * 24 * 3600;
const MAX_DOWNLOADS = 1_000_000;

function checkLimits(
  maxDownloads: number | undefined,
  cooldown: number | undefined,
  notBefore?: Date,
  notAfter?: Date,
) {
  if (maxDownloads !== undefined && maxDownloads > MAX_DOWNLOADS) {
    throw validationFailed(`maxDownloads is at most ${MAX_DOWNLOADS} (0 = unlimited)`, {
      field: "maxDownloads",
    });
  }
  if (cooldown !== undefined && cooldown > MAX_COOLDOWN) {
    throw validationFailed("cooldownSeconds is at most one year", { field: "cooldownSeconds" });
  }
  if (notBefore && notAfter && notAfter <= notBefore) {
    throw validationFailed("notAfter must be later than notBefore", { field: "notAfter" });
  }
}

async function hashPassphrase(passphrase: string): Promise<string> {
  if (!passphraseFollowsRule(passphrase)) {
    const { minLength, maxLength } = PASSPHRASE_RULE;
    throw validationFailed(`passphrase must be ${minLength}-${maxLength} characters`, {
      field: "passphrase",
      minLength,
      maxLength,
    });
  }
  return hash(passphrase);
}

/** The sender's message as stored, or a validation error naming the rule (length, no control characters). */
function checkMessage(message: string): string {
  const normal = normalizeMessage(message);
  if (normal === undefined) {
    throw validationFailed(
      `message must be plain text of at most ${MESSAGE_RULE.maxLength} characters, without control characters other than tab and newline`,
      { field: "message", maxLength: MESSAGE_RULE.maxLength },
    );
  }
  return normal;
}

/** An acknowledgement is of a message: asking for one without a message is refused. */
function checkAcknowledgement(required: boolean, message: string) {
  if (required && message.trim() === "") {
    throw validationFailed("acknowledgementRequired needs a message to acknowledge", {
      field: "acknowledgementRequired",
    });
  }
}

/** The API shape, with the limits summary: used, remaining, next available. */
export function assignmentToProto(a: Assignment, now: Date, bundleName = ""): bundlesV1.Assignment {
  const next = [a.cooldownUntil, a.notBefore]
    .filter((d): d is Date => !!d && d > now)
    .sort((x, y) => +y - +x)[0];
  return {
    id: a.id,
    bundleId: a.bundleId,
    recipientId: a.recipientId,
    maxDownloads: a.maxDownloads ?? 0,
    cooldownSeconds: a.cooldownSeconds,
    ...(a.notBefore ? { notBefore: a.notBefore } : {}),
    ...(a.notAfter ? { notAfter: a.notAfter } : {}),
    enabled: a.enabled,
    passphraseRequired: a.passphraseHash !== null,
    downloadsUsed: a.downloadsUsed,
    downloadsRemaining: a.maxDownloads == null ? 0 : Math.max(0, a.maxDownloads - a.downloadsUsed),
    ...(a.lastDownloadAt ? { lastDownloadAt: a.lastDownloadAt } : {}),
    ...(next ? { nextAvailableAt: next } : {}),
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    bundleName,
    message: a.message,
    acknowledgementRequired: a.acknowledgementRequired,
    ...(a.acknowledgedAt ? { acknowledgedAt: a.acknowledgedAt } : {}),
  };
}

async function findAssignment(em: EntityManager, ctx: RequestContext, id: string): Promise<Assignment> {
  const a = await em.findOne(Assignment, { id, tenant: ctx.tenant });
  if (!a) throw notFound("Assignment not found", { assignmentId: id });
  return a;
}

export function createAssignmentsApi(auth: BundlesContext) {
  const { db } = auth;
  return {
    /** The recipient id is checked by the caller (the gateway asks the auth service, which owns recipients). */
    async createAssignment(
      req: bundlesV1.CreateAssignmentRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.Assignment> {
      checkLimits(req.maxDownloads, req.cooldownSeconds, req.notBefore, req.notAfter);
      const message = checkMessage(req.message ?? "");
      checkAcknowledgement(req.acknowledgementRequired ?? false, message);
      const passphraseHash = req.passphrase ? await hashPassphrase(req.passphrase) : null;
      const now = auth.now();
      try {
        const a = await db.em().transactional(async (tx) => {
          await findBundle(tx, ctx, req.bundleId);
          const created = tx.create(Assignment, {
            id: newId(now),
            tenant: ctx.tenant,
            bundleId: req.bundleId,
            recipientId: req.recipientId,
            maxDownloads: req.maxDownloads || null,
            cooldownSeconds: req.cooldownSeconds,
            notBefore: req.notBefore ?? null,
            notAfter: req.notAfter ?? null,
            passphraseHash,
            enabled: req.enabled ?? true,
            downloadsUsed: 0,
            lastDownloadAt: null,
            cooldownUntil: null,
            message,
            acknowledgementRequired: req.acknowledgementRequired ?? false,
            acknowledgedAt: null,
            createdAt: now,
            updatedAt: now,
          });
          await emit(
            tx,
            ctx,
            "bundles.assignment.created",
            { assignmentId: created.id, bundleId: req.bundleId, recipientId: req.recipientId },
            {
              assignmentId: created.id,
              bundleId: req.bundleId,
              recipientId: req.recipientId,
            },
          );
          return created;
        });
        auth.relay.nudge();
        return assignmentToProto(a, now);
      } catch (err) {
        if (err instanceof UniqueConstraintViolationException) {
          throw conflict("This bundle is already assigned to this recipient", {
            bundleId: req.bundleId,
            recipientId: req.recipientId,
          });
        }
        throw err;
      }
    },

    async updateAssignment(
      req: bundlesV1.UpdateAssignmentRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.Assignment> {
      const message = req.message === undefined ? undefined : checkMessage(req.message);
      const passphraseHash = req.passphrase ? await hashPassphrase(req.passphrase) : undefined;
      const now = auth.now();
      const a = await db.em().transactional(async (tx) => {
        const x = await findAssignment(tx, ctx, req.id);
        const changes: string[] = [];
        const set = <K extends keyof Assignment>(key: K, value: Assignment[K], name: string) => {
          x[key] = value;
          changes.push(name);
        };
        if (req.maxDownloads !== undefined) set("maxDownloads", req.maxDownloads || null, "maxDownloads");
        if (req.cooldownSeconds !== undefined) set("cooldownSeconds", req.cooldownSeconds, "cooldownSeconds");
        if (req.notBefore !== undefined) set("notBefore", req.notBefore, "notBefore");
        if (req.clearNotBefore) set("notBefore", null, "notBefore");
        if (req.notAfter !== undefined) set("notAfter", req.notAfter, "notAfter");
        if (req.clearNotAfter) set("notAfter", null, "notAfter");
        if (req.enabled !== undefined) set("enabled", req.enabled, "enabled");
        if (passphraseHash) set("passphraseHash", passphraseHash, "passphrase");
        if (req.clearPassphrase) set("passphraseHash", null, "passphrase");
        // a changed message needs a new acknowledgement (ADR 021); the same text keeps the one given
        if (message !== undefined && message !== x.message) {
          set("message", message, "message");
          x.acknowledgedAt = null;
        }
        if (
          req.acknowledgementRequired !== undefined &&
          req.acknowledgementRequired !== x.acknowledgementRequired
        ) {
          set("acknowledgementRequired", req.acknowledgementRequired, "acknowledgementRequired");
        }
        if (req.resetUsage) {
          set("downloadsUsed", 0, "usage");
          x.cooldownUntil = null;
        }
        checkAcknowledgement(x.acknowledgementRequired, x.message);
        checkLimits(
          x.maxDownloads ?? undefined,
          x.cooldownSeconds,
          x.notBefore ?? undefined,
          x.notAfter ?? undefined,
        );
        if (changes.length) {
          x.updatedAt = now;
          await emit(
            tx,
            ctx,
            "bundles.assignment.updated",
            { assignmentId: x.id },
            { assignmentId: x.id, changes: [...new Set(changes)] },
          );
        }
        return x;
      });
      auth.relay.nudge();
      return assignmentToProto(a, now);
    },

    async deleteAssignment(
      req: bundlesV1.DeleteAssignmentRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.Assignment> {
      const now = auth.now();
      const a = await db.em().transactional(async (tx) => {
        const x = await findAssignment(tx, ctx, req.id);
        await tx.nativeDelete(Assignment, { id: x.id });
        await emit(
          tx,
          ctx,
          "bundles.assignment.deleted",
          { assignmentId: x.id, bundleId: x.bundleId, recipientId: x.recipientId },
          {
            assignmentId: x.id,
            bundleId: x.bundleId,
            recipientId: x.recipientId,
          },
        );
        return x;
      });
      auth.relay.nudge();
      return assignmentToProto(a, now);
    },

    /**
     * The recipient confirms having read the message. Recipient-bound: only the assignment of this bundle to
     * this recipient (else not found, the same answer as a bundle not assigned). The first acknowledgement is
     * recorded (`bundles.assignment.acknowledged`, audited); repeats answer the same acknowledgedAt, no event.
     */
    async acknowledgeAssignment(
      req: bundlesV1.AcknowledgeAssignmentRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.Assignment> {
      const now = auth.now();
      const result = await db.em().transactional(async (tx) => {
        const x = await tx.findOne(Assignment, {
          tenant: ctx.tenant,
          bundleId: req.bundleId,
          recipientId: req.recipientId,
        });
        const bundle = x && (await tx.findOne(Bundle, { id: x.bundleId, tenant: ctx.tenant }));
        // the portal sees only enabled assignments of enabled bundles: anything else is not theirs to see
        if (!x?.enabled || !bundle?.enabled)
          throw notFound("No such bundle for you", { bundleId: req.bundleId });
        if (x.acknowledgedAt) return { a: x, bundleName: bundle.name, fresh: false };
        // conditional: two concurrent first acknowledgements record one event
        const changed = await tx.nativeUpdate(
          Assignment,
          { id: x.id, acknowledgedAt: null },
          { acknowledgedAt: now, updatedAt: now },
        );
        const fresh = await tx.findOneOrFail(Assignment, { id: x.id }, { refresh: true });
        if (changed === 1) {
          await emit(
            tx,
            ctx,
            "bundles.assignment.acknowledged",
            { assignmentId: x.id, bundleId: x.bundleId, recipientId: x.recipientId },
            { assignmentId: x.id, bundleId: x.bundleId, recipientId: x.recipientId },
          );
        }
        return { a: fresh, bundleName: bundle.name, fresh: changed === 1 };
      });
      if (result.fresh) auth.relay.nudge();
      return assignmentToProto(result.a, now, result.bundleName);
    },

    async getAssignment(
      req: bundlesV1.GetAssignmentRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.Assignment> {
      const em = db.em();
      const a = await findAssignment(em, ctx, req.id);
      const bundle = await em.findOne(Bundle, { id: a.bundleId, tenant: ctx.tenant });
      return assignmentToProto(a, auth.now(), bundle?.name ?? "");
    },

    async listAssignments(
      req: bundlesV1.ListAssignmentsRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.ListAssignmentsResponse> {
      const em = db.em();
      const now = auth.now();
      const rows = await em.find(
        Assignment,
        {
          tenant: ctx.tenant,
          ...(req.bundleId ? { bundleId: req.bundleId } : {}),
          ...(req.recipientId ? { recipientId: req.recipientId } : {}),
          ...(req.activeOnly ? { enabled: true } : {}),
        },
        { orderBy: { id: "asc" } },
      );
      const bundles = new Map(
        (await em.find(Bundle, { id: { $in: rows.map((r) => r.bundleId) } })).map((b) => [b.id, b]),
      );
      return {
        assignments: rows
          .filter((r) => !req.activeOnly || bundles.get(r.bundleId)?.enabled)
          .map((r) => assignmentToProto(r, now, bundles.get(r.bundleId)?.name ?? "")),
      };
    },
  };
}
