import type { authV1 } from "@latchflow/proto";
import { ALL_SCOPES, Scope } from "@latchflow/runtime";
import { z } from "zod";
import type { GatewayClients } from "../clients.js";
import { defineRoute } from "../route.js";
import { ErrorResponse, errorResponses, IdParams } from "../schemas.js";

const TokenInfo = z
  .object({
    id: z.string(),
    userId: z.string(),
    name: z.string(),
    scopes: z.array(z.string()),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
    lastUsedAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "TokenInfo" });

const CreatedToken = z
  .object({ token: z.string().meta({ description: "lf_<id>_<secret>; shown once" }), info: TokenInfo })
  .meta({ id: "CreatedToken" });

const CreateToken = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    scopes: z
      .array(z.enum(ALL_SCOPES as [string, ...string[]]))
      .max(20)
      .optional(),
    expiresInDays: z.number().int().min(1).max(1825).optional(),
  })
  .meta({ id: "CreateToken" });

export function tokenToRest(t: authV1.TokenInfo | undefined) {
  if (!t) return undefined;
  return {
    id: t.id,
    userId: t.userId,
    name: t.name,
    scopes: t.scopes,
    createdAt: t.createdAt?.toISOString(),
    expiresAt: t.expiresAt?.toISOString() ?? null,
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
  };
}

export function tokenRoutes(clients: GatewayClients) {
  const tag = "tokens";
  const notFound = { 404: { description: "No such token you may manage", schema: ErrorResponse } };
  const write = { kind: "user", scope: Scope.TokensWrite } as const;
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/tokens",
      operationId: "createToken",
      summary:
        "Create an API token for yourself, within your credential: scopes default to your role's defaults that it holds, expiry to its own",
      tag,
      access: write,
      body: CreateToken,
      responses: {
        201: { description: "Created; the secret is shown once", schema: CreatedToken },
        ...errorResponses,
      },
      handler: async ({ body, ctx }) => {
        const created = await clients.auth.createToken(
          {
            name: body.name,
            scopes: body.scopes ?? [],
            expiresInSeconds: (body.expiresInDays ?? 0) * 86_400,
          },
          ctx,
        );
        return { status: 201, body: { token: created.token, info: tokenToRest(created.info) } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/tokens",
      operationId: "listTokens",
      summary: "Your API tokens (with ?all=true and users:admin: those of every user you may manage)",
      tag,
      access: { kind: "user", scope: Scope.TokensRead },
      query: z.strictObject({ all: z.enum(["true", "false"]).optional() }),
      responses: {
        200: { description: "Tokens", schema: z.object({ items: z.array(TokenInfo) }) },
        ...errorResponses,
      },
      handler: async ({ query, ctx }) => ({
        status: 200,
        body: {
          items: (await clients.auth.listTokens({ all: query.all === "true" }, ctx)).tokens.map(tokenToRest),
        },
      }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/tokens/:id/rotate",
      operationId: "rotateToken",
      summary:
        "Replace a token's secret; the old secret stops working at once (the token must be within your credential)",
      tag,
      access: write,
      params: IdParams,
      responses: {
        200: { description: "The new secret, shown once", schema: CreatedToken },
        ...notFound,
        ...errorResponses,
      },
      handler: async ({ params, ctx }) => {
        const rotated = await clients.auth.rotateToken({ id: params.id }, ctx);
        return { status: 200, body: { token: rotated.token, info: tokenToRest(rotated.info) } };
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/tokens/:id",
      operationId: "revokeToken",
      summary: "Revoke a token",
      tag,
      access: write,
      params: IdParams,
      responses: { 200: { description: "Revoked", schema: TokenInfo }, ...notFound, ...errorResponses },
      handler: async ({ params, ctx }) => ({
        status: 200,
        body: tokenToRest(await clients.auth.revokeToken({ id: params.id }, ctx)),
      }),
    }),
  ];
}
