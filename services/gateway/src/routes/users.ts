import { operations, type schemas } from "@latchflow/api";
import type { authV1 } from "@latchflow/proto";
import { accessOf, decideEveryScopeForUser, decideForUser } from "@latchflow/runtime";
import type { GatewayClients } from "../clients.js";
import { implement } from "../route.js";

const userToRest = (u: authV1.User): schemas.User => ({
  id: u.id,
  email: u.email,
  // the auth service stores only the contract's roles
  role: u.role as schemas.User["role"],
  active: u.active,
  createdAt: (u.createdAt ?? new Date(0)).toISOString(),
  lastSignInAt: u.lastSignInAt?.toISOString() ?? null,
});
const permissionToRest = (p: authV1.Permission): schemas.Permission => ({
  ...p,
  effect: p.effect as schemas.Permission["effect"],
  createdAt: (p.createdAt ?? new Date(0)).toISOString(),
});

export function userRoutes(clients: GatewayClients, linkBase: () => string) {
  return [
    implement(operations.listUsers, async ({ query, ctx }) => {
      const res = await clients.auth.listUsers(
        { page: { cursor: query.cursor ?? "", limit: query.limit ?? 0 } },
        ctx,
      );
      return {
        status: 200,
        body: { items: res.users.map(userToRest), nextCursor: res.page?.nextCursor || null },
      };
    }),
    implement(operations.inviteUser, async ({ body, ctx }) => ({
      status: 201,
      body: userToRest(await clients.auth.inviteUser({ ...body, linkBase: linkBase() }, ctx)),
    })),
    implement(operations.getUser, async ({ params, ctx }) => ({
      status: 200,
      body: userToRest(await clients.auth.getUser({ id: params.id }, ctx)),
    })),
    implement(operations.updateUser, async ({ params, body, ctx }) => ({
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
    })),
    implement(operations.listPermissions, async ({ params, ctx }) => ({
      status: 200,
      body: {
        items: (await clients.auth.listPermissions({ userId: params.id }, ctx)).permissions.map(
          permissionToRest,
        ),
      },
    })),
    implement(operations.grantPermission, async ({ params, body, ctx }) => ({
      status: 201,
      body: permissionToRest(await clients.auth.grantPermission({ userId: params.id, ...body }, ctx)),
    })),
    implement(operations.revokePermission, async ({ params, ctx }) => ({
      status: 200,
      body: permissionToRest(
        await clients.auth.revokePermission({ userId: params.id, id: params.permissionId }, ctx),
      ),
    })),
    implement(operations.getUserAccess, async ({ params, ctx }) => {
      const { user, scopes } = await decideEveryScopeForUser(clients.auth, ctx, params.id);
      const body: schemas.UserAccess = {
        userId: user.id,
        role: userToRest(user).role,
        active: user.active,
        scopes: scopes.map(({ action, decision }) => ({
          action,
          access: accessOf(decision),
          reason: decision.reason,
        })),
      };
      return { status: 200, body };
    }),
    implement(operations.simulatePermission, async ({ body, ctx }) => {
      const decision: schemas.PermissionDecision = await decideForUser(clients.auth, ctx, body.userId, {
        action: body.action,
        ...(body.resource ? { resource: body.resource } : {}),
      });
      return { status: 200, body: decision };
    }),
  ];
}
