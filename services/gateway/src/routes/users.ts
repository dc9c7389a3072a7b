import type { authV1 } from "@latchflow/proto";
import { ALL_SCOPES, decideForUser, Scope } from "@latchflow/runtime";
import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { defineRoute } from "../route.js";
import { ErrorResponse, errorResponses, IdParams, PageQuery } from "../schemas.js";

const Role = z.enum(["owner", "admin", "executor"]);
const Action = z.enum(ALL_SCOPES as [string, ...string[]]);
const User = z
  .object({
    id: z.string(),
    email: z.string(),
    role: Role,
    active: z.boolean(),
    createdAt: z.iso.datetime(),
    lastSignInAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "User" });
const Permission = z
  .object({
    id: z.string(),
    userId: z.string(),
    action: z.string(),
    resourceType: z.string(),
    resourceId: z.string(),
    effect: z.enum(["allow", "deny"]),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "Permission" });
const GrantPermission = z
  .strictObject({
    action: Action,
    resourceType: z.enum(["*", "bundle", "pipeline", "recipient", "file", "plugin", "user"]),
    resourceId: z.string().min(1).max(64).default("*"),
    effect: z.enum(["allow", "deny"]).default("allow"),
  })
  .meta({ id: "GrantPermission" });

const userToRest = (u: authV1.User) => ({
  id: u.id,
  email: u.email,
  role: u.role,
  active: u.active,
  createdAt: u.createdAt?.toISOString(),
  lastSignInAt: u.lastSignInAt?.toISOString() ?? null,
});
const permissionToRest = (p: authV1.Permission) => ({ ...p, createdAt: p.createdAt?.toISOString() });

export function userRoutes(clients: GatewayClients, linkBase: () => string) {
  const tag = "users";
  const access = { kind: "user", scope: Scope.UsersAdmin } as const;
  const notFound = { 404: { description: "No such user", schema: ErrorResponse } };
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/users",
      operationId: "listUsers",
      summary: "List users",
      tag,
      access,
      query: PageQuery,
      responses: {
        200: {
          description: "Users",
          schema: z.object({ items: z.array(User), nextCursor: z.string().nullable() }),
        },
        ...errorResponses,
      },
      handler: async ({ query, ctx }) => {
        const res = await clients.auth.listUsers(
          { page: { cursor: query.cursor ?? "", limit: query.limit ?? 0 } },
          ctx,
        );
        return {
          status: 200,
          body: { items: res.users.map(userToRest), nextCursor: res.page?.nextCursor || null },
        };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/users",
      operationId: "inviteUser",
      summary: "Invite a user by email (they get a sign-in link)",
      tag,
      access,
      body: z
        .strictObject({ email: z.string().trim().min(3).max(320), role: Role })
        .meta({ id: "InviteUser" }),
      responses: {
        201: { description: "Invited", schema: User },
        409: { description: "Email taken", schema: ErrorResponse },
        ...errorResponses,
      },
      handler: async ({ body, ctx }) => ({
        status: 201,
        body: userToRest(await clients.auth.inviteUser({ ...body, linkBase: linkBase() }, ctx)),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/users/:id",
      operationId: "getUser",
      summary: "Get one user",
      tag,
      access,
      params: IdParams,
      responses: { 200: { description: "User", schema: User }, ...notFound, ...errorResponses },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: userToRest(await clients.auth.getUser({ id: params.id }, ctx)),
      }),
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/users/:id",
      operationId: "updateUser",
      summary:
        "Change a user's role, or deactivate/reactivate (deactivation ends sessions and tokens at once)",
      tag,
      access,
      params: IdParams,
      body: z
        .strictObject({ role: Role.optional(), active: z.boolean().optional() })
        .meta({ id: "UpdateUser" }),
      responses: {
        200: { description: "Updated", schema: User },
        409: { description: "The last active owner must remain", schema: ErrorResponse },
        ...notFound,
        ...errorResponses,
      },
      handler: async ({ params, body, ctx }) => ({
        status: 200,
        body: userToRest(
          await clients.auth.updateUser(
            {
              id: params.id,
              ...(body.role ? { role: body.role } : {}),
              ...(body.active !== undefined ? { active: body.active } : {}),
            },
            ctx,
          ),
        ),
      }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/users/:id/permissions",
      operationId: "listPermissions",
      summary: "A user's per-resource grants and overrides",
      tag,
      access,
      params: IdParams,
      responses: {
        200: { description: "Permissions", schema: z.object({ items: z.array(Permission) }) },
        ...notFound,
        ...errorResponses,
      },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: {
          items: (await clients.auth.listPermissions({ userId: params.id }, ctx)).permissions.map(
            permissionToRest,
          ),
        },
      }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/users/:id/permissions",
      operationId: "grantPermission",
      summary: "Grant (or deny) one action on one resource; takes effect on the next request",
      tag,
      access,
      params: IdParams,
      body: GrantPermission,
      responses: { 201: { description: "Granted", schema: Permission }, ...notFound, ...errorResponses },
      handler: async ({ params, body, ctx }) => ({
        status: 201,
        body: permissionToRest(await clients.auth.grantPermission({ userId: params.id, ...body }, ctx)),
      }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/users/:id/permissions/:permissionId",
      operationId: "revokePermission",
      summary: "Remove a grant or override; takes effect on the next request",
      tag,
      access,
      params: z.strictObject({ id: IdParams.shape.id, permissionId: IdParams.shape.id }),
      responses: { 200: { description: "Removed", schema: Permission }, ...notFound, ...errorResponses },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: permissionToRest(
          await clients.auth.revokePermission({ userId: params.id, id: params.permissionId }, ctx),
        ),
      }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/auth/permissions/simulate",
      operationId: "simulatePermission",
      summary: "May this user do this to that resource, and why (with a full-scope credential)",
      tag,
      access,
      body: z
        .strictObject({
          userId: IdParams.shape.id,
          action: Action,
          resource: z
            .strictObject({ type: z.string().min(1).max(64), id: z.string().min(1).max(64) })
            .optional(),
        })
        .meta({ id: "SimulatePermission" }),
      responses: {
        200: {
          description: "The decision",
          schema: z.object({
            allowed: z.boolean(),
            reason: z.string(),
            restrictTo: z.array(z.string()).optional(),
          }),
        },
        ...notFound,
        ...errorResponses,
      },
      handler: async ({ body, ctx }) => ({
        status: 200,
        body: await decideForUser(clients.auth, ctx, body.userId, {
          action: body.action as Scope,
          ...(body.resource ? { resource: body.resource } : {}),
        }),
      }),
    }),
  ];
}
