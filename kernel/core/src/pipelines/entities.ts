import { defineMigration } from "@latchflow/runtime/db";
import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

const ts = { useTz: true, precision: 3 } as const;

/** A pipeline: its current source (exactly as written) and parsed form. */
export const PipelineRow = defineEntity({
  name: "PipelineRow",
  tableName: "pipelines",
  uniques: [{ properties: ["tenant", "name"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    name: p.string().length(63),
    description: p.text().default(""),
    enabled: p.boolean().default(true),
    version: p.integer(),
    source: p.text(),
    parsed: p.text(),
    createdAt: p.datetime().fieldName("created_at"),
    updatedAt: p.datetime().fieldName("updated_at"),
  },
});
export type PipelineRow = InferEntity<typeof PipelineRow>;

/** Every source ever stored, for history and rollback. */
export const PipelineVersionRow = defineEntity({
  name: "PipelineVersionRow",
  tableName: "pipeline_versions",
  properties: {
    id: p.string().primary().length(26),
    pipelineId: p.string().length(26).fieldName("pipeline_id"),
    version: p.integer(),
    source: p.text(),
    createdBy: p.string().length(200).default("").fieldName("created_by"),
    createdAt: p.datetime().fieldName("created_at"),
  },
});
export type PipelineVersionRow = InferEntity<typeof PipelineVersionRow>;

export const pipelineMigration = defineMigration("0001-pipelines", (schema) =>
  schema
    .createTable("pipelines", (t) => {
      t.string("id", 26).primary();
      t.string("tenant", 63).notNullable();
      t.string("name", 63).notNullable();
      t.text("description").notNullable().defaultTo("");
      t.boolean("enabled").notNullable().defaultTo(true);
      t.integer("version").notNullable();
      t.text("source").notNullable();
      t.text("parsed").notNullable();
      t.datetime("created_at", ts).notNullable();
      t.datetime("updated_at", ts).notNullable();
      t.unique(["tenant", "name"], { indexName: "pipelines_tenant_name_uniq" });
    })
    .createTable("pipeline_versions", (t) => {
      t.string("id", 26).primary();
      t.string("pipeline_id", 26).notNullable();
      t.integer("version").notNullable();
      t.text("source").notNullable();
      t.string("created_by", 200).notNullable().defaultTo("");
      t.datetime("created_at", ts).notNullable();
      t.unique(["pipeline_id", "version"], { indexName: "pipeline_versions_uniq" });
    }),
);
