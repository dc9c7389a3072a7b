import type { authV1 } from "@latchflow/proto";
import {
  conflict,
  decodeCursor,
  emitEvent as emit,
  newId,
  notFound,
  pageLimit,
  type RequestContext,
  toPage,
  validationFailed,
} from "@latchflow/runtime";
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import { type AuthContext, isEmail, normalizeEmail } from "../context.js";
import { OtpChallenge, Pairing, Recipient, RecipientDevice, Session } from "../entities/index.js";

export function recipientToProto(r: Recipient): authV1.Recipient {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    enabled: r.enabled,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

function checkName(name: string): string {
  const n = name.trim();
  if (n.length > 200) throw validationFailed("name must be at most 200 characters", { field: "name" });
  return n;
}

export function createRecipientsApi(auth: AuthContext) {
  return {
    async createRecipient(
      req: authV1.CreateRecipientRequest,
      ctx: RequestContext,
    ): Promise<authV1.Recipient> {
      const email = normalizeEmail(req.email);
      if (!isEmail(email)) throw validationFailed("email is not an email address", { field: "email" });
      const now = auth.now();
      try {
        const recipient = await auth.db.em().transactional(async (em) => {
          const r = em.create(Recipient, {
            id: newId(now),
            tenant: ctx.tenant,
            email,
            name: checkName(req.name),
            enabled: req.enabled ?? true,
            createdAt: now,
            updatedAt: now,
          });
          emit(em, ctx, "auth.recipient.created", { recipientId: r.id }, { recipientId: r.id, email });
          return r;
        });
        auth.relay.nudge();
        return recipientToProto(recipient);
      } catch (err) {
        if (err instanceof UniqueConstraintViolationException) {
          throw conflict("A recipient with that email exists", { field: "email" });
        }
        throw err;
      }
    },

    async getRecipient(req: authV1.GetRecipientRequest, ctx: RequestContext): Promise<authV1.Recipient> {
      const r = await auth.db.em().findOne(Recipient, { id: req.id, tenant: ctx.tenant });
      if (!r) throw notFound("Recipient not found", { recipientId: req.id });
      return recipientToProto(r);
    },

    async listRecipients(
      req: authV1.ListRecipientsRequest,
      ctx: RequestContext,
    ): Promise<authV1.ListRecipientsResponse> {
      const limit = pageLimit(req.page?.limit);
      const after = decodeCursor(req.page?.cursor);
      const q = req.query.trim().toLowerCase();
      const like = `%${q}%`; // % and _ in a search act as wildcards: harmless for a read within the tenant
      const rows = await auth.db.em().find(
        Recipient,
        {
          tenant: ctx.tenant,
          ...(after ? { id: { $gt: after } } : {}),
          ...(q
            ? {
                $or: [
                  { email: { $like: like } },
                  { name: auth.db.dialect === "postgres" ? { $ilike: like } : { $like: like } },
                ],
              }
            : {}),
        },
        { orderBy: { id: "asc" }, limit: limit + 1 },
      );
      const page = toPage(rows, limit, (r) => r.id);
      return { recipients: page.items.map(recipientToProto), page: { nextCursor: page.nextCursor } };
    },

    async deleteRecipient(
      req: authV1.DeleteRecipientRequest,
      ctx: RequestContext,
    ): Promise<authV1.Recipient> {
      const recipient = await auth.db.em().transactional(async (em) => {
        const r = await em.findOne(Recipient, { id: req.id, tenant: ctx.tenant });
        if (!r) throw notFound("Recipient not found", { recipientId: req.id });
        await em.nativeDelete(OtpChallenge, { recipientId: r.id });
        await em.nativeDelete(Pairing, { recipientId: r.id });
        await em.nativeDelete(RecipientDevice, { recipientId: r.id });
        await em.nativeUpdate(
          Session,
          { subjectKind: "recipient", subjectId: r.id, revokedAt: null },
          { revokedAt: auth.now() },
        );
        await em.nativeDelete(Recipient, { id: r.id });
        emit(em, ctx, "auth.recipient.deleted", { recipientId: r.id }, { recipientId: r.id, email: r.email });
        return r;
      });
      auth.relay.nudge();
      return recipientToProto(recipient);
    },

    /** Upserts by email in one transaction; any invalid row refuses the whole import. */
    async importRecipients(
      req: authV1.ImportRecipientsRequest,
      ctx: RequestContext,
    ): Promise<authV1.ImportRecipientsResponse> {
      const rows = req.recipients.map((r, i) => {
        const email = normalizeEmail(r.email);
        if (!isEmail(email))
          throw validationFailed(`Row ${i + 1}: email is not an email address`, {
            row: i + 1,
            field: "email",
          });
        return { email, name: checkName(r.name), enabled: r.enabled };
      });
      const seen = new Set<string>();
      rows.forEach((r, i) => {
        if (seen.has(r.email))
          throw validationFailed(`Row ${i + 1}: ${r.email} appears twice`, { row: i + 1, field: "email" });
        seen.add(r.email);
      });
      const now = auth.now();
      const counts = { created: 0, updated: 0, unchanged: 0 };
      await auth.db.em().transactional(async (em) => {
        const existing = new Map(
          (await em.find(Recipient, { tenant: ctx.tenant, email: { $in: rows.map((r) => r.email) } })).map(
            (r) => [r.email, r],
          ),
        );
        for (const row of rows) {
          const current = existing.get(row.email);
          if (!current) {
            const r = em.create(Recipient, {
              id: newId(now),
              tenant: ctx.tenant,
              email: row.email,
              name: row.name,
              enabled: row.enabled ?? true,
              createdAt: now,
              updatedAt: now,
            });
            emit(
              em,
              ctx,
              "auth.recipient.created",
              { recipientId: r.id },
              { recipientId: r.id, email: r.email },
            );
            counts.created++;
            continue;
          }
          const changes: string[] = [];
          if (row.name && row.name !== current.name) {
            current.name = row.name;
            changes.push("name");
          }
          if (row.enabled !== undefined && row.enabled !== current.enabled) {
            current.enabled = row.enabled;
            changes.push("enabled");
          }
          if (changes.length) {
            current.updatedAt = now;
            emit(
              em,
              ctx,
              "auth.recipient.updated",
              { recipientId: current.id },
              { recipientId: current.id, changes },
            );
            counts.updated++;
          } else counts.unchanged++;
        }
      });
      auth.relay.nudge();
      return counts;
    },

    async updateRecipient(
      req: authV1.UpdateRecipientRequest,
      ctx: RequestContext,
    ): Promise<authV1.Recipient> {
      const now = auth.now();
      const recipient = await auth.db.em().transactional(async (em) => {
        const r = await em.findOne(Recipient, { id: req.id, tenant: ctx.tenant });
        if (!r) throw notFound("Recipient not found", { recipientId: req.id });
        const changes: string[] = [];
        if (req.name !== undefined && checkName(req.name) !== r.name) {
          r.name = checkName(req.name);
          changes.push("name");
        }
        if (req.enabled !== undefined && req.enabled !== r.enabled) {
          r.enabled = req.enabled;
          changes.push("enabled");
        }
        if (changes.length) {
          r.updatedAt = now;
          emit(em, ctx, "auth.recipient.updated", { recipientId: r.id }, { recipientId: r.id, changes });
        }
        return r;
      });
      auth.relay.nudge();
      return recipientToProto(recipient);
    },
  };
}
