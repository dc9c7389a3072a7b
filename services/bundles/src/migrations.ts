import { defineMigration, outboxMigration } from "@latchflow/runtime";

export const bundlesMigrations = [
  outboxMigration,
  defineMigration("0001-bundles", (schema) =>
    schema.createTable("bundles", (t) => {
      t.string("id", 26).primary();
      t.string("tenant", 63).notNullable();
      t.string("name", 200).notNullable();
      t.text("description").notNullable().defaultTo("");
      t.datetime("created_at", { useTz: true, precision: 3 }).notNullable();
      t.datetime("updated_at", { useTz: true, precision: 3 }).notNullable();
      t.unique(["tenant", "name"], { indexName: "bundles_tenant_name_uniq" });
      t.index(["tenant", "id"], "bundles_tenant_id_idx");
    }),
  ),
];
