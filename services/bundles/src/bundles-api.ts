import { createEvent } from "@latchflow/bus";
import type { bundlesV1 } from "@latchflow/proto";
import {
  actorOf,
  conflict,
  type Database,
  decodeCursor,
  enqueueEvent,
  notFound,
  type OutboxRelay,
  pageLimit,
  type RequestContext,
  toPage,
  validationFailed,
} from "@latchflow/runtime";
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import { ulid } from "ulid";
import { Bundle } from "./bundle-entity.js";

const NAME_MAX = 200;
const DESCRIPTION_MAX = 2000;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function checkName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0) throw validationFailed("name must not be empty", { field: "name" });
  if (name.length > NAME_MAX)
    throw validationFailed(`name must be at most ${NAME_MAX} characters`, { field: "name" });
  if (CONTROL_CHARS.test(name))
    throw validationFailed("name must not contain control characters", { field: "name" });
  return name;
}

export function toProto(b: Bundle): bundlesV1.Bundle {
  return {
    id: b.id,
    tenant: b.tenant,
    name: b.name,
    description: b.description,
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
  };
}

/** The bundles gRPC API. Handlers take the decoded request and the caller's context. */
export function createBundlesApi(db: Database, relay: OutboxRelay) {
  return {
    async createBundle(req: bundlesV1.CreateBundleRequest, ctx: RequestContext): Promise<bundlesV1.Bundle> {
      const name = checkName(req.name);
      const description = (req.description ?? "").trim();
      if (description.length > DESCRIPTION_MAX) {
        throw validationFailed(`description must be at most ${DESCRIPTION_MAX} characters`, {
          field: "description",
        });
      }
      const now = new Date();
      const em = db.em();
      try {
        const bundle = await em.transactional(async (tx) => {
          const created = tx.create(Bundle, {
            id: ulid(now.getTime()),
            tenant: ctx.tenant,
            name,
            description,
            createdAt: now,
            updatedAt: now,
          });
          enqueueEvent(
            tx,
            createEvent({
              type: "bundles.bundle.created",
              tenant: ctx.tenant,
              actor: actorOf(ctx),
              subjectIds: { bundleId: created.id },
              requestId: ctx.requestId,
              data: { bundleId: created.id, name },
              occurredAt: now,
            }),
          );
          return created;
        });
        relay.nudge();
        return toProto(bundle);
      } catch (err) {
        if (err instanceof UniqueConstraintViolationException) {
          throw conflict(`A bundle named "${name}" already exists`, { field: "name" });
        }
        throw err;
      }
    },

    async getBundle(req: bundlesV1.GetBundleRequest, ctx: RequestContext): Promise<bundlesV1.Bundle> {
      const bundle = await db.em().findOne(Bundle, { id: req.id, tenant: ctx.tenant });
      if (!bundle) throw notFound("Bundle not found", { bundleId: req.id });
      return toProto(bundle);
    },

    async listBundles(
      req: bundlesV1.ListBundlesRequest,
      ctx: RequestContext,
    ): Promise<bundlesV1.ListBundlesResponse> {
      const limit = pageLimit(req.page?.limit);
      const after = decodeCursor(req.page?.cursor);
      const idFilter = after ? { $lt: after } : {};
      const rows = await db
        .em()
        .find(
          Bundle,
          { tenant: ctx.tenant, id: req.restricted ? { ...idFilter, $in: req.ids } : idFilter },
          { orderBy: { id: "desc" }, limit: limit + 1 },
        );
      const page = toPage(rows, limit, (b) => b.id);
      return { bundles: page.items.map(toProto), page: { nextCursor: page.nextCursor } };
    },
  };
}
