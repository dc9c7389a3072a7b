import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

export const User = defineEntity({
  name: "User",
  tableName: "users",
  uniques: [{ properties: ["tenant", "email"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    email: p.string().length(320),
    role: p.string().length(20),
    active: p.boolean().default(true),
    createdAt: p.datetime().fieldName("created_at"),
  },
});
export type User = InferEntity<typeof User>;

export const ApiToken = defineEntity({
  name: "ApiToken",
  tableName: "api_tokens",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    userId: p.string().length(26).fieldName("user_id"),
    name: p.string().length(200),
    /** sha256 (hex) of the whole presented token; secrets are ≥ 32 random bytes so a fast hash is enough */
    tokenHash: p.string().length(64).unique().fieldName("token_hash"),
    /** space-separated scopes */
    scopes: p.text(),
    createdAt: p.datetime().fieldName("created_at"),
    expiresAt: p.datetime().nullable().fieldName("expires_at"),
    lastUsedAt: p.datetime().nullable().fieldName("last_used_at"),
    revokedAt: p.datetime().nullable().fieldName("revoked_at"),
  },
});
export type ApiToken = InferEntity<typeof ApiToken>;
