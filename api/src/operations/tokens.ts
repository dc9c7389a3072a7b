import { z } from "zod";
import { bodyErrorResponses, ErrorBody, errorResponses, IdParams, rateLimitResponses } from "../common.js";
import { defineOperation } from "../operation.js";
import { ALL_SCOPES, Scope } from "../scopes.js";

// API tokens `lf_<id>_<secret>`: created within the presenting credential, stored hashed, rotatable, revocable.
// Rate-limited per IP and per identity, like the sign-in endpoints.

const tag = "tokens";
const write = { kind: "user", scope: Scope.TokensWrite } as const;

export const Token = z
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
  .meta({ id: "Token" });
export type Token = z.output<typeof Token>;

export const CreatedToken = z
  .object({ token: z.string().meta({ description: "lf_<id>_<secret>; shown once" }), info: Token })
  .meta({ id: "CreatedToken" });
export type CreatedToken = z.output<typeof CreatedToken>;

const notFound = { 404: { description: "No such token you may manage", schema: ErrorBody } } as const;

export const createToken = defineOperation({
  method: "post",
  path: "/api/v1/tokens",
  operationId: "createToken",
  summary:
    "Create an API token for yourself, within your credential: scopes default to your role's defaults that it holds, expiry to its own",
  tag,
  access: write,
  rateLimited: true,
  body: z
    .strictObject({
      name: z.string().trim().min(1).max(200),
      scopes: z
        .array(z.enum(ALL_SCOPES as [Scope, ...Scope[]]))
        .max(20)
        .optional(),
      expiresInDays: z.number().int().min(1).max(1825).optional(),
    })
    .meta({ id: "CreateToken" }),
  responses: {
    201: { description: "Created; the secret is shown once", schema: CreatedToken },
    ...errorResponses,
    403: { description: "Not allowed, or a scope beyond your role or credential", schema: ErrorBody },
    ...bodyErrorResponses,
    ...rateLimitResponses,
  },
});

export const listTokens = defineOperation({
  method: "get",
  path: "/api/v1/tokens",
  operationId: "listTokens",
  summary: "Your API tokens (with ?all=true and users:admin: those of every user you may manage)",
  tag,
  access: { kind: "user", scope: Scope.TokensRead },
  rateLimited: true,
  query: z.strictObject({ all: z.enum(["true", "false"]).optional() }),
  responses: {
    200: { description: "Tokens", schema: z.object({ items: z.array(Token) }) },
    ...errorResponses,
    403: { description: "Not allowed (?all=true needs users:admin)", schema: ErrorBody },
    ...rateLimitResponses,
  },
});

export const rotateToken = defineOperation({
  method: "post",
  path: "/api/v1/tokens/:id/rotate",
  operationId: "rotateToken",
  summary:
    "Replace a token's secret; the old secret stops working at once (the token must be within your credential)",
  tag,
  access: write,
  rateLimited: true,
  params: IdParams,
  responses: {
    200: { description: "The new secret, shown once", schema: CreatedToken },
    ...notFound,
    ...errorResponses,
    403: { description: "Not allowed, or another user's token (revoke it instead)", schema: ErrorBody },
    422: { description: "Invalid id, or the token is revoked or expired", schema: ErrorBody },
    ...rateLimitResponses,
  },
});

export const revokeToken = defineOperation({
  method: "delete",
  path: "/api/v1/tokens/:id",
  operationId: "revokeToken",
  summary: "Revoke a token",
  tag,
  access: write,
  rateLimited: true,
  params: IdParams,
  responses: {
    200: { description: "Revoked", schema: Token },
    ...notFound,
    ...errorResponses,
    ...rateLimitResponses,
  },
});
