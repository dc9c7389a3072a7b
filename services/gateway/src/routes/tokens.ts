import { operations, type schemas } from "@latchflow/api";
import type { authV1 } from "@latchflow/proto";
import type { GatewayClients } from "../clients.js";
import { implement } from "../route.js";

export function tokenToRest(t: authV1.TokenInfo): schemas.Token {
  return {
    id: t.id,
    userId: t.userId,
    name: t.name,
    scopes: t.scopes,
    createdAt: (t.createdAt ?? new Date(0)).toISOString(),
    expiresAt: t.expiresAt?.toISOString() ?? null,
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
  };
}

function createdToRest(created: authV1.CreatedToken): schemas.CreatedToken {
  if (!created.info) throw new Error("the auth service returned a token without its info");
  return { token: created.token, info: tokenToRest(created.info) };
}

export function tokenRoutes(clients: GatewayClients) {
  return [
    implement(operations.createToken, async ({ body, ctx }) => {
      const created = await clients.auth.createToken(
        {
          name: body.name,
          scopes: body.scopes ?? [],
          expiresInSeconds: (body.expiresInDays ?? 0) * 86_400,
        },
        ctx,
      );
      return { status: 201, body: createdToRest(created) };
    }),
    implement(operations.listTokens, async ({ query, ctx }) => ({
      status: 200,
      body: {
        items: (await clients.auth.listTokens({ all: query.all === "true" }, ctx)).tokens.map(tokenToRest),
      },
    })),
    implement(operations.rotateToken, async ({ params, ctx }) => ({
      status: 200,
      body: createdToRest(await clients.auth.rotateToken({ id: params.id }, ctx)),
    })),
    implement(operations.revokeToken, async ({ params, ctx }) => ({
      status: 200,
      body: tokenToRest(await clients.auth.revokeToken({ id: params.id }, ctx)),
    })),
  ];
}
