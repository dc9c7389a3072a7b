import { createHash } from "node:crypto";
import type { GrantRequest, GrantResult, PublishRequest, PublishResult } from "@latchflow/plugin-sdk";
import {
  grantRequestProblem,
  idempotencyKeyProblem,
  missingBundle,
  missingRecipient,
  publishRequestProblem,
} from "@latchflow/plugin-sdk/invocation";
import {
  decideAllForUser,
  ErrorCode,
  isLatchflowError,
  LatchflowError,
  newId,
  type RequestContext,
  Scope,
} from "@latchflow/runtime";
import { type Database, sqlTable } from "@latchflow/runtime/db";
import type { Json } from "@latchflow/sandbox";
import { findBundleByName, findRecipient } from "../lookups.js";
import type { AuthClient, BundlesClient } from "../pipelines/validation.js";

/** What host capabilities do to the world, through the services that own it. */
export interface ServiceActions {
  /** Runs `fn` once per (tenant, key); later calls return the stored result. */
  once<T extends Json>(tenant: string, key: string, fn: () => Promise<T>): Promise<T>;
  /**
   * `caller` scopes the idempotency key: `<plugin>:<pipelineId>/<stepId>`, so a plugin reusing a key in another
   * pipeline or step gets its own result, never another pipeline's.
   */
  grant(ctx: RequestContext, req: GrantRequest, caller: string): Promise<GrantResult>;
  publish(ctx: RequestContext, req: PublishRequest, caller: string): Promise<PublishResult>;
}

const denied = (message: string) => new LatchflowError(ErrorCode.PermissionDenied, message);

export function checkKey(key: unknown): string {
  const problem = idempotencyKeyProblem(key);
  if (problem !== undefined) throw new LatchflowError(ErrorCode.ValidationFailed, problem);
  return key as string;
}

export function createServiceActions(deps: {
  db: Database;
  clients: { bundles: BundlesClient; auth: AuthClient };
  publicUrl: () => string;
  now: () => Date;
}): ServiceActions {
  const { db, clients } = deps;

  const once: ServiceActions["once"] = async (tenant, rawKey, fn) => {
    // keys are built from plugin input: long ones are hashed to fit the column (same on SQLite and Postgres)
    const key = rawKey.length > 400 ? `sha256:${createHash("sha256").update(rawKey).digest("hex")}` : rawKey;
    // plain SQL with bound values (two statements on every run's path; no entity is needed)
    const table = sqlTable(db, "host_calls");
    const conn = db.em().getConnection();
    const rows = (await conn.execute(
      `SELECT state, result FROM ${table} WHERE tenant = ? AND "key" = ?`,
      [tenant, key],
      "all",
    )) as { state: string; result: string }[];
    const done = rows[0];
    if (done?.state === "done") return JSON.parse(done.result);
    // no "pending" row first: an attempt that finds none, or one not done (a crash mid-call, another attempt
    // in flight), acts again under the same key either way; the result is remembered once it is known
    const result = await fn();
    await conn.execute(
      `INSERT INTO ${table} (id, tenant, "key", state, result, created_at) VALUES (?, ?, ?, 'done', ?, ?)
         ON CONFLICT (tenant, "key") DO UPDATE SET state = excluded.state, result = excluded.result`,
      [newId(), tenant, key, JSON.stringify(result), deps.now()],
      "run",
    );
    return result;
  };

  /**
   * The pipeline's owner must be allowed to write the bundle and to read each of its files right now
   * (deactivated owners act no more; a grant or a link releases the files, so a file denied to the owner
   * cannot be released through a bundle someone else put it in).
   */
  const authorize = async (ctx: RequestContext, bundleId: string) => {
    const ownerId = ctx.caller?.userId;
    if (!ownerId) throw denied("The pipeline has no owner who may act on bundles");
    const bundle = await clients.bundles.getBundle({ id: bundleId }, ctx);
    const decision = await decideAllForUser(clients.auth, ctx, ownerId, [
      { action: Scope.BundlesWrite, resource: { type: "bundle", id: bundleId } },
      ...bundle.objects.map((o) => ({
        action: Scope.FilesRead,
        resource: { type: "file", id: o.fileId },
      })),
    ]).catch((err) => {
      if (isLatchflowError(err) && err.code === ErrorCode.NotFound)
        throw denied("The pipeline's owner no longer exists");
      throw err;
    });
    if (!decision.allowed) throw denied(`The pipeline's owner may not do this: ${decision.reason}`);
  };

  const bundleByName = async (ctx: RequestContext, name: string) => {
    const hit = await findBundleByName(clients.bundles, ctx, name);
    if (!hit)
      throw new LatchflowError(ErrorCode.NotFound, missingBundle(name), {
        details: { bundle: name },
      });
    return hit;
  };

  const recipientByEmail = async (ctx: RequestContext, email: string) => {
    const hit = await findRecipient(clients.auth, ctx, email);
    if (!hit)
      throw new LatchflowError(ErrorCode.NotFound, missingRecipient(email), {
        details: { email },
      });
    return hit;
  };

  const instant = (v: string | null, field: string) => {
    if (v === null || v === undefined) return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime()))
      throw new LatchflowError(ErrorCode.ValidationFailed, `${field} is not a date`);
    return d;
  };

  return {
    once,

    async grant(ctx, req, caller) {
      const key = checkKey(req.idempotencyKey);
      // the request comes from plugin code as plain JSON: check what the types only promise
      const problem = grantRequestProblem(req);
      if (problem !== undefined) throw new LatchflowError(ErrorCode.ValidationFailed, problem);
      const message = (req.message as string | undefined) ?? "";
      const acknowledgementRequired = req.acknowledgementRequired === true;
      const bundle = await bundleByName(ctx, String(req.bundle));
      await authorize(ctx, bundle.id);
      const notBefore = instant(req.notBefore, "notBefore");
      const notAfter = instant(req.notAfter, "notAfter");
      const assignments: GrantResult["assignments"] = [];
      for (const email of req.recipients) {
        const recipient = await recipientByEmail(ctx, String(email));
        const result = await once(ctx.tenant, `grant:${caller}:${key}:${recipient.id}`, async () => {
          try {
            const a = await clients.bundles.createAssignment(
              {
                bundleId: bundle.id,
                recipientId: recipient.id,
                maxDownloads: Math.max(0, Math.trunc(Number(req.maxDownloads) || 0)),
                cooldownSeconds: Math.max(0, Math.trunc(Number(req.cooldownSeconds) || 0)),
                ...(notBefore ? { notBefore } : {}),
                ...(notAfter ? { notAfter } : {}),
                ...(req.passphrase ? { passphrase: req.passphrase } : {}),
                ...(message ? { message } : {}),
                ...(acknowledgementRequired ? { acknowledgementRequired } : {}),
              },
              ctx,
            );
            return { assignmentId: a.id, created: true };
          } catch (err) {
            if (!(isLatchflowError(err) && err.code === ErrorCode.Conflict)) throw err;
            const existing = await clients.bundles.listAssignments(
              { bundleId: bundle.id, recipientId: recipient.id, activeOnly: false },
              ctx,
            );
            const a = existing.assignments[0];
            if (!a) throw err;
            return { assignmentId: a.id, created: false };
          }
        });
        assignments.push({ recipient: recipient.email, ...result });
      }
      return { bundleId: bundle.id, assignments };
    },

    async publish(ctx, req, caller) {
      const key = checkKey(req.idempotencyKey);
      const problem = publishRequestProblem(req, deps.now());
      if (problem !== undefined) throw new LatchflowError(ErrorCode.ValidationFailed, problem);
      const bundle = await bundleByName(ctx, String(req.bundle));
      await authorize(ctx, bundle.id);
      const expiresAt = new Date(req.expiresAt);
      const seconds = Math.ceil((expiresAt.getTime() - deps.now().getTime()) / 1000);
      return once(ctx.tenant, `publish:${caller}:${key}`, async () => {
        const created = await clients.bundles.createPublishLink(
          {
            bundleId: bundle.id,
            expiresInSeconds: seconds,
            maxUses: Math.max(0, Math.trunc(Number(req.maxUses) || 0)),
          },
          ctx,
        );
        const link = created.link;
        return {
          url: `${deps.publicUrl()}/s/${created.token}`,
          expiresAt: (link?.expiresAt ?? expiresAt).toISOString(),
          linkId: link?.id ?? "",
        };
      });
    },
  };
}
