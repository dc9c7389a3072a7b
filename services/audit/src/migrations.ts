import { defineMigration } from "@latchflow/runtime";

export const auditMigrations = [
  defineMigration("0001-audit-records", (schema) =>
    schema.createTable("audit_records", (t) => {
      t.string("id", 26).primary();
      t.string("tenant", 63).notNullable();
      t.string("type", 120).notNullable();
      t.datetime("occurred_at", { useTz: true, precision: 3 }).notNullable();
      t.datetime("recorded_at", { useTz: true, precision: 3 }).notNullable();
      t.string("actor_kind", 20).notNullable();
      t.string("actor_id", 200).notNullable();
      t.text("subject_ids").notNullable();
      t.string("request_id", 100).notNullable().defaultTo("");
      t.text("data").notNullable();
      t.index(["tenant", "id"], "audit_tenant_id_idx");
      t.index(["tenant", "type", "id"], "audit_tenant_type_id_idx");
    }),
  ),
];
