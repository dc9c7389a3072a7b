import type { authV1 } from "@latchflow/proto";
import {
  conflict,
  decodeCursor,
  isRole,
  newId,
  notFound,
  pageLimit,
  permissionDenied,
  type RequestContext,
  Role,
  Scope,
  toPage,
  validationFailed,
} from "@latchflow/runtime";
import type { EntityManager } from "@latchflow/runtime/db";
import { emitEvent as emit } from "@latchflow/runtime/db";
import { LockMode, UniqueConstraintViolationException } from "@mikro-orm/core";
import { type AuthContext, callerUserId, isEmail, normalizeEmail, SETTINGS } from "../context.js";
import { Permission, Session, User } from "../entities/index.js";
import { inviteMail } from "../mail-templates.js";
import { permissionToProto } from "./authenticate.js";
import { assertMayChangePermissions, assertMayManage, presenterOf } from "./presenter.js";

const RESOURCE_TYPES = new Set(["*", "bundle", "pipeline", "recipient", "file", "plugin", "user"]);
const RESOURCE_ID = /^(\*|[0-9A-Za-z_-]{1,64})$/;

export function userToProto(u: User): authV1.User {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    active: u.active,
    createdAt: u.createdAt,
    ...(u.lastSignInAt ? { lastSignInAt: u.lastSignInAt } : {}),
  };
}

export function createUsersApi(
  auth: AuthContext,
  createLink: (em: EntityManager, email: string, next: string, base: string) => Promise<string>,
) {
  const getUser = async (em: EntityManager, ctx: RequestContext, id: string) => {
    const user = await em.findOne(User, { id, tenant: ctx.tenant });
    if (!user) throw notFound("User not found", { userId: id });
    return user;
  };

  const callerRole = async (em: EntityManager, ctx: RequestContext) =>
    (await getUser(em, ctx, callerUserId(ctx))).role;

  /** Owners are the only ones who may create, change or remove owners. */
  const guardOwnerChange = async (em: EntityManager, ctx: RequestContext, touchesOwner: boolean) => {
    if (touchesOwner && (await callerRole(em, ctx)) !== Role.Owner) {
      throw permissionDenied("Only an owner can grant, change or remove the owner role");
    }
  };
  /** An admin comes without permission overrides: only an owner makes one (a restricted admin cannot mint a free one). */
  const guardAdminGrant = async (em: EntityManager, ctx: RequestContext, grantsAdmin: boolean) => {
    if (grantsAdmin && (await callerRole(em, ctx)) !== Role.Owner) {
      throw permissionDenied("Only an owner can grant the admin role");
    }
  };

  /** At least one active owner always remains (rows locked on Postgres so concurrent demotions cannot race). */
  const assertOwnerRemains = async (em: EntityManager, ctx: RequestContext) => {
    const where = { tenant: ctx.tenant, role: Role.Owner, active: true };
    const owners =
      auth.db.dialect === "postgres"
        ? await em.find(User, where, { lockMode: LockMode.PESSIMISTIC_WRITE })
        : await em.find(User, where);
    if (owners.length === 0) throw conflict("At least one active owner must remain");
  };

  return {
    async listUsers(req: authV1.ListUsersRequest, ctx: RequestContext): Promise<authV1.ListUsersResponse> {
      const limit = pageLimit(req.page?.limit);
      const after = decodeCursor(req.page?.cursor);
      const rows = await auth.db
        .em()
        .find(
          User,
          { tenant: ctx.tenant, ...(after ? { id: { $gt: after } } : {}) },
          { orderBy: { id: "asc" }, limit: limit + 1 },
        );
      const page = toPage(rows, limit, (u) => u.id);
      return { users: page.items.map(userToProto), page: { nextCursor: page.nextCursor } };
    },

    async getUser(req: authV1.GetUserRequest, ctx: RequestContext): Promise<authV1.User> {
      return userToProto(await getUser(auth.db.em(), ctx, req.id));
    },

    async inviteUser(req: authV1.InviteUserRequest, ctx: RequestContext): Promise<authV1.User> {
      const email = normalizeEmail(req.email);
      if (!isEmail(email)) throw validationFailed("email is not an email address", { field: "email" });
      if (!isRole(req.role))
        throw validationFailed("role must be owner, admin or executor", { field: "role" });
      const now = auth.now();
      try {
        const { user, link } = await auth.db.em().transactional(async (em) => {
          await guardOwnerChange(em, ctx, req.role === Role.Owner);
          await guardAdminGrant(em, ctx, req.role === Role.Admin);
          const created = em.create(User, {
            id: newId(now),
            tenant: ctx.tenant,
            email,
            role: req.role,
            active: true,
            createdAt: now,
            lastSignInAt: null,
          });
          await em.flush();
          await emit(
            em,
            ctx,
            "auth.user.invited",
            { userId: created.id },
            { userId: created.id, email, role: req.role },
          );
          return { user: created, link: await createLink(em, email, "", req.linkBase) };
        });
        auth.relay.nudge();
        auth.mailer
          .send(inviteMail(email, link, req.role, Math.round(SETTINGS.magicLinkTtlMs / 60_000)))
          .catch((err: unknown) => auth.logger.error({ err: (err as Error).message }, "invite mail failed"));
        return userToProto(user);
      } catch (err) {
        if (err instanceof UniqueConstraintViolationException)
          throw conflict("A user with that email exists", { field: "email" });
        throw err;
      }
    },

    async updateUser(req: authV1.UpdateUserRequest, ctx: RequestContext): Promise<authV1.User> {
      if (req.role !== undefined && !isRole(req.role)) {
        throw validationFailed("role must be owner, admin or executor", { field: "role" });
      }
      const now = auth.now();
      const user = await auth.db.em().transactional(async (em) => {
        const target = await getUser(em, ctx, req.id);
        assertMayManage(await presenterOf(em, ctx), target);
        const roleChanges = req.role !== undefined && req.role !== target.role;
        const activeChanges = req.active !== undefined && req.active !== target.active;
        await guardOwnerChange(em, ctx, target.role === Role.Owner || req.role === Role.Owner);
        await guardAdminGrant(em, ctx, roleChanges && req.role === Role.Admin);
        if (roleChanges) {
          await emit(
            em,
            ctx,
            "auth.user.role-changed",
            { userId: target.id },
            { userId: target.id, from: target.role, to: req.role! },
          );
          target.role = req.role!;
        }
        if (activeChanges) {
          target.active = req.active!;
          await emit(
            em,
            ctx,
            target.active ? "auth.user.reactivated" : "auth.user.deactivated",
            { userId: target.id },
            { userId: target.id },
          );
          if (!target.active) {
            await em.nativeUpdate(
              Session,
              { subjectKind: "user", subjectId: target.id, revokedAt: null },
              { revokedAt: now },
            );
          }
        }
        await em.flush();
        await assertOwnerRemains(em, ctx);
        return target;
      });
      auth.relay.nudge();
      return userToProto(user);
    },

    async listPermissions(
      req: authV1.ListPermissionsRequest,
      ctx: RequestContext,
    ): Promise<authV1.ListPermissionsResponse> {
      const em = auth.db.em();
      await getUser(em, ctx, req.userId);
      const rows = await em.find(
        Permission,
        { tenant: ctx.tenant, userId: req.userId },
        { orderBy: { id: "asc" } },
      );
      return { permissions: rows.map(permissionToProto) };
    },

    async grantPermission(
      req: authV1.GrantPermissionRequest,
      ctx: RequestContext,
    ): Promise<authV1.Permission> {
      if (!(Object.values(Scope) as string[]).includes(req.action)) {
        throw validationFailed("action must be a scope, e.g. bundles:read", { field: "action" });
      }
      if (!RESOURCE_TYPES.has(req.resourceType)) {
        throw validationFailed(`resourceType must be one of ${[...RESOURCE_TYPES].join(", ")}`, {
          field: "resourceType",
        });
      }
      const resourceId = req.resourceType === "*" ? "*" : req.resourceId;
      if (!RESOURCE_ID.test(resourceId))
        throw validationFailed("resourceId must be an id or *", { field: "resourceId" });
      if (req.effect !== "allow" && req.effect !== "deny")
        throw validationFailed("effect must be allow or deny", { field: "effect" });
      const now = auth.now();
      const permission = await auth.db.em().transactional(async (em) => {
        assertMayChangePermissions(await presenterOf(em, ctx), await getUser(em, ctx, req.userId));
        const p = em.create(Permission, {
          id: newId(now),
          tenant: ctx.tenant,
          userId: req.userId,
          action: req.action,
          resourceType: req.resourceType,
          resourceId,
          effect: req.effect,
          createdAt: now,
        });
        await emit(
          em,
          ctx,
          "auth.permission.granted",
          { permissionId: p.id, userId: req.userId },
          {
            permissionId: p.id,
            userId: req.userId,
            action: req.action,
            resourceType: req.resourceType,
            resourceId,
            effect: req.effect,
          },
        );
        return p;
      });
      auth.relay.nudge();
      return permissionToProto(permission);
    },

    async revokePermission(
      req: authV1.RevokePermissionRequest,
      ctx: RequestContext,
    ): Promise<authV1.Permission> {
      const permission = await auth.db.em().transactional(async (em) => {
        const p = await em.findOne(Permission, { id: req.id, userId: req.userId, tenant: ctx.tenant });
        if (!p) throw notFound("Permission not found", { permissionId: req.id });
        assertMayChangePermissions(await presenterOf(em, ctx), await getUser(em, ctx, req.userId));
        em.remove(p);
        await emit(
          em,
          ctx,
          "auth.permission.revoked",
          { permissionId: p.id, userId: p.userId },
          { permissionId: p.id, userId: p.userId },
        );
        return p;
      });
      auth.relay.nudge();
      return permissionToProto(permission);
    },
  };
}
