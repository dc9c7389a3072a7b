import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

export const Bundle = defineEntity({
  name: "Bundle",
  tableName: "bundles",
  uniques: [{ properties: ["tenant", "name"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    name: p.string().length(200),
    description: p.text().default(""),
    createdAt: p.datetime().fieldName("created_at"),
    updatedAt: p.datetime().fieldName("updated_at"),
  },
});
export type Bundle = InferEntity<typeof Bundle>;
