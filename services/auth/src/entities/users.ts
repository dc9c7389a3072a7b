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
    lastSignInAt: p.datetime().nullable().fieldName("last_sign_in_at"),
  },
});
export type User = InferEntity<typeof User>;

/** An executor grant or an override: allow/deny one action on one resource (or "*"). */
export const Permission = defineEntity({
  name: "Permission",
  tableName: "permissions",
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    userId: p.string().length(26).fieldName("user_id"),
    action: p.string().length(64),
    resourceType: p.string().length(64).fieldName("resource_type"),
    resourceId: p.string().length(64).fieldName("resource_id"),
    effect: p.string().length(5),
    createdAt: p.datetime().fieldName("created_at"),
  },
});
export type Permission = InferEntity<typeof Permission>;

export const Recipient = defineEntity({
  name: "Recipient",
  tableName: "recipients",
  uniques: [{ properties: ["tenant", "email"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    email: p.string().length(320),
    name: p.string().length(200).default(""),
    enabled: p.boolean().default(true),
    createdAt: p.datetime().fieldName("created_at"),
    updatedAt: p.datetime().fieldName("updated_at"),
  },
});
export type Recipient = InferEntity<typeof Recipient>;
