import { defineMigration } from "@latchflow/runtime/db";
import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

const ts = { useTz: true, precision: 3 } as const;

/**
 * The current generation of a trigger's signed links: a check-in link carries the generation it was signed
 * in, and rotating the trigger's links (bumping it) revokes every link handed out before. No row = 0.
 */
export const TriggerLinkRow = defineEntity({
  name: "TriggerLinkRow",
  tableName: "trigger_links",
  uniques: [{ properties: ["pipelineId", "triggerId"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    pipelineId: p.string().length(26).fieldName("pipeline_id"),
    triggerId: p.string().length(100).fieldName("trigger_id"),
    generation: p.integer(),
    rotatedAt: p.datetime().fieldName("rotated_at"),
  },
});
export type TriggerLinkRow = InferEntity<typeof TriggerLinkRow>;

export const triggerLinksMigration = defineMigration("0005-trigger-links", (schema) =>
  schema.createTable("trigger_links", (t) => {
    t.string("id", 26).primary();
    t.string("tenant", 63).notNullable();
    t.string("pipeline_id", 26).notNullable();
    t.string("trigger_id", 100).notNullable();
    t.integer("generation").notNullable();
    t.datetime("rotated_at", ts).notNullable();
    t.unique(["pipeline_id", "trigger_id"], { indexName: "trigger_links_uniq" });
  }),
);
