import { z } from "zod";
import {
  bodyErrorResponses,
  ErrorBody,
  errorResponses,
  Id,
  IdParams,
  PageQuery,
  page,
  rateLimitResponses,
} from "../common.js";
import { defineOperation } from "../operation.js";
import { ALL_SCOPES, Role as Roles, Scope } from "../scopes.js";

// Users of the admin side, their roles, and per-resource grants and overrides (all need users:admin).

const tag = "users";
const access = { kind: "user", scope: Scope.UsersAdmin } as const;
const Role = z.enum(Object.values(Roles) as [Roles, ...Roles[]]);
const Action = z.enum(ALL_SCOPES as [Scope, ...Scope[]]);

export const User = z
  .object({
    id: z.string(),
    email: z.string(),
    role: Role,
    active: z.boolean(),
    createdAt: z.iso.datetime(),
    lastSignInAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "User" });
export type User = z.output<typeof User>;

export const Permission = z
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
export type Permission = z.output<typeof Permission>;

export const PermissionDecision = z
  .object({
    allowed: z.boolean(),
    reason: z.string(),
    restrictTo: z
      .array(z.string())
      .optional()
      .meta({ description: "Allowed only for these resource ids (per-resource grants)" }),
  })
  .meta({ id: "PermissionDecision" });
export type PermissionDecision = z.output<typeof PermissionDecision>;

export const UserAccess = z
  .object({
    userId: z.string(),
    role: Role,
    active: z.boolean(),
    scopes: z.array(
      z.object({
        action: Action,
        access: z
          .union([z.literal("all"), z.literal("none"), z.array(z.string())])
          .meta({ description: "Every resource, none, or only the listed ids (per-resource grants)" }),
        reason: z.string().meta({ description: "Why, in words an admin understands" }),
      }),
    ),
  })
  .meta({ id: "UserAccess" });
export type UserAccess = z.output<typeof UserAccess>;

const notFound = { 404: { description: "No such user", schema: ErrorBody } } as const;
const ownerOnly = {
  403: {
    description: "Not allowed (only an owner grants, changes or removes the owner role, or grants admin)",
    schema: ErrorBody,
  },
} as const;

export const listUsers = defineOperation({
  method: "get",
  path: "/api/v1/users",
  operationId: "listUsers",
  summary: "List users",
  tag,
  access,
  query: PageQuery,
  responses: { 200: { description: "Users", schema: page(User) }, ...errorResponses },
});

export const inviteUser = defineOperation({
  method: "post",
  path: "/api/v1/users",
  operationId: "inviteUser",
  summary: "Invite a user by email (they get a sign-in link)",
  tag,
  access,
  body: z.strictObject({ email: z.string().trim().min(3).max(320), role: Role }).meta({ id: "InviteUser" }),
  responses: {
    201: { description: "Invited", schema: User },
    409: { description: "Email taken", schema: ErrorBody },
    ...errorResponses,
    ...ownerOnly,
    ...bodyErrorResponses,
  },
});

export const getUser = defineOperation({
  method: "get",
  path: "/api/v1/users/:id",
  operationId: "getUser",
  summary: "Get one user",
  tag,
  access,
  params: IdParams,
  responses: { 200: { description: "User", schema: User }, ...notFound, ...errorResponses },
});

export const updateUser = defineOperation({
  method: "patch",
  path: "/api/v1/users/:id",
  operationId: "updateUser",
  summary: "Change a user's role, or deactivate/reactivate (deactivation ends sessions and tokens at once)",
  tag,
  access,
  params: IdParams,
  body: z.strictObject({ role: Role.optional(), active: z.boolean().optional() }).meta({ id: "UpdateUser" }),
  responses: {
    200: { description: "Updated", schema: User },
    409: { description: "The last active owner must remain", schema: ErrorBody },
    ...notFound,
    ...errorResponses,
    ...ownerOnly,
    ...bodyErrorResponses,
  },
});

export const listPermissions = defineOperation({
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
});

export const grantPermission = defineOperation({
  method: "post",
  path: "/api/v1/users/:id/permissions",
  operationId: "grantPermission",
  summary: "Grant (or deny) one action on one resource; takes effect on the next request",
  tag,
  access,
  params: IdParams,
  body: z
    .strictObject({
      action: Action,
      resourceType: z.enum(["*", "bundle", "pipeline", "recipient", "file", "plugin", "user"]),
      resourceId: z.string().min(1).max(64).default("*"),
      effect: z.enum(["allow", "deny"]).default("allow"),
    })
    .meta({ id: "GrantPermission" }),
  responses: {
    201: { description: "Granted", schema: Permission },
    ...notFound,
    ...errorResponses,
    ...bodyErrorResponses,
  },
});

export const revokePermission = defineOperation({
  method: "delete",
  path: "/api/v1/users/:id/permissions/:permissionId",
  operationId: "revokePermission",
  summary: "Remove a grant or override; takes effect on the next request",
  tag,
  access,
  params: z.strictObject({ id: Id, permissionId: Id }),
  responses: {
    200: { description: "Removed", schema: Permission },
    404: { description: "No such user or permission", schema: ErrorBody },
    ...errorResponses,
  },
});

export const getUserAccess = defineOperation({
  method: "get",
  path: "/api/v1/users/:id/access",
  operationId: "getUserAccess",
  summary:
    "What a user (as a whole, not one credential) may do with each scope, and why: the effective permissions table",
  tag,
  access,
  params: IdParams,
  responses: {
    200: { description: "One entry per scope", schema: UserAccess },
    ...notFound,
    ...errorResponses,
  },
});

export const simulatePermission = defineOperation({
  method: "post",
  path: "/api/v1/auth/permissions/simulate",
  operationId: "simulatePermission",
  summary: "May this user do this to that resource, and why (with a full-scope credential)",
  tag,
  access,
  rateLimited: true,
  body: z
    .strictObject({
      userId: Id,
      action: Action,
      resource: z.strictObject({ type: z.string().min(1).max(64), id: z.string().min(1).max(64) }).optional(),
    })
    .meta({ id: "SimulatePermission" }),
  responses: {
    200: { description: "The decision", schema: PermissionDecision },
    ...notFound,
    ...errorResponses,
    ...bodyErrorResponses,
    ...rateLimitResponses,
  },
});
