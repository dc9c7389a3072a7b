import type { authV1 } from "@latchflow/proto";
import {
  conflict,
  decodeCursor,
  newId,
  notFound,
  pageLimit,
  type RequestContext,
  toPage,
  validationFailed,
} from "@latchflow/runtime";
import { emitEvent as emit } from "@latchflow/runtime/db";
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

const NAME_MAX = 200;

function checkName(name: string): string {
  const n = name.trim();
  if (n.length > NAME_MAX)
    throw validationFailed(`name must be at most ${NAME_MAX} characters`, { field: "name" });
  return n;
}

/** Whether the text holds a C0 control, DEL or a C1 control: never part of a name or an address. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

type ImportRow = { index: number; line: number; email: string; name: string; enabled: boolean | undefined };

/** Every import row checked at once: the good rows (email normalized, name trimmed) and every problem. */
export function checkImportRows(input: readonly authV1.ImportRecipientRow[]): {
  rows: ImportRow[];
  problems: authV1.ImportRowProblem[];
} {
  const problems: authV1.ImportRowProblem[] = [];
  const rows: ImportRow[] = [];
  const firstLine = new Map<string, { index: number; line: number }>();
  input.forEach((r, index) => {
    const before = problems.length;
    const problem = (field: "email" | "name", message: string) => problems.push({ index, field, message });
    const email = normalizeEmail(r.email);
    if (email === "") problem("email", "The email address is missing.");
    else if (hasControl(email) || !isEmail(email))
      problem("email", `“${clip(r.email.trim())}” is not an email address.`);
    else {
      const first = firstLine.get(email);
      if (first) {
        problem(
          "email",
          first.line > 0
            ? `${email} is already on line ${first.line}: each address may appear once.`
            : `${email} appears more than once: each address may appear once.`,
        );
      } else firstLine.set(email, { index, line: r.line });
    }
    const name = r.name.trim();
    if (name.length > NAME_MAX)
      problem("name", `The name is longer than ${NAME_MAX} characters (${name.length}).`);
    else if (hasControl(name))
      problem(
        "name",
        "A name is one line of text: this one holds a line break, a tab or another control character.",
      );
    if (problems.length === before) rows.push({ index, line: r.line, email, name, enabled: r.enabled });
  });
  return { rows, problems };
}

const clip = (text: string) => (text.length > 60 ? `${text.slice(0, 57)}…` : text);

/** What a good row does to the recipient with its address (if any): an empty name keeps the one there. */
function planRow(row: ImportRow, current: Recipient | undefined): authV1.ImportRowPlan {
  if (!current) {
    return {
      index: row.index,
      email: row.email,
      name: row.name,
      enabled: row.enabled ?? true,
      action: "create",
      changes: [],
      previousName: "",
      previousEnabled: false,
    };
  }
  const name = row.name || current.name;
  const enabled = row.enabled ?? current.enabled;
  const changes = [
    ...(name !== current.name ? ["name"] : []),
    ...(enabled !== current.enabled ? ["enabled"] : []),
  ];
  return {
    index: row.index,
    email: row.email,
    name,
    enabled,
    action: changes.length ? "update" : "unchanged",
    changes,
    previousName: current.name,
    previousEnabled: current.enabled,
  };
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
          await emit(em, ctx, "auth.recipient.created", { recipientId: r.id }, { recipientId: r.id, email });
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
        await emit(
          em,
          ctx,
          "auth.recipient.deleted",
          { recipientId: r.id },
          { recipientId: r.id, email: r.email },
        );
        return r;
      });
      auth.relay.nudge();
      return recipientToProto(recipient);
    },

    /**
     * Upserts by email in one transaction. Every row is checked first and every problem answered; with any
     * problem, or a dry run, nothing is written (applied false). The plan says what each good row does.
     */
    async importRecipients(
      req: authV1.ImportRecipientsRequest,
      ctx: RequestContext,
    ): Promise<authV1.ImportRecipientsResponse> {
      const { rows, problems } = checkImportRows(req.recipients);
      const counts = { created: 0, updated: 0, unchanged: 0 };
      const plan: authV1.ImportRowPlan[] = [];
      const write = !req.dryRun && problems.length === 0;
      const now = auth.now();
      try {
        await auth.db.em().transactional(async (em) => {
          const existing = new Map<string, Recipient>();
          // IN lists of at most 500: SQLite's bound-parameter limit, and Postgres' planner, like them short
          for (let i = 0; i < rows.length; i += 500) {
            const emails = rows.slice(i, i + 500).map((r) => r.email);
            for (const r of await em.find(Recipient, { tenant: ctx.tenant, email: { $in: emails } })) {
              existing.set(r.email, r);
            }
          }
          for (const row of rows) {
            const step = planRow(row, existing.get(row.email));
            plan.push(step);
            counts[
              step.action === "create" ? "created" : step.action === "update" ? "updated" : "unchanged"
            ]++;
            if (!write || step.action === "unchanged") continue;
            const current = existing.get(row.email);
            if (!current) {
              const r = em.create(Recipient, {
                id: newId(now),
                tenant: ctx.tenant,
                email: row.email,
                name: step.name,
                enabled: step.enabled,
                createdAt: now,
                updatedAt: now,
              });
              await emit(
                em,
                ctx,
                "auth.recipient.created",
                { recipientId: r.id },
                { recipientId: r.id, email: r.email },
              );
              continue;
            }
            current.name = step.name;
            current.enabled = step.enabled;
            current.updatedAt = now;
            await emit(
              em,
              ctx,
              "auth.recipient.updated",
              { recipientId: current.id },
              { recipientId: current.id, changes: step.changes },
            );
          }
        });
      } catch (err) {
        // another import or add took one of the addresses meanwhile: nothing of this one was written
        if (err instanceof UniqueConstraintViolationException) {
          throw conflict("A recipient with one of these emails was added meanwhile; try again");
        }
        throw err;
      }
      if (write) auth.relay.nudge();
      return { ...counts, applied: write, problems, plan };
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
          await emit(
            em,
            ctx,
            "auth.recipient.updated",
            { recipientId: r.id },
            { recipientId: r.id, changes },
          );
        }
        return r;
      });
      auth.relay.nudge();
      return recipientToProto(recipient);
    },
  };
}
