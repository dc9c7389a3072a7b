import { defineMigration } from "@latchflow/runtime/db";

/** Partial indexes of the subject columns: most events name one or two subjects, so most rows are skipped. */
const SUBJECT_COLUMNS = [
  "bundle_id",
  "recipient_id",
  "pipeline_id",
  "trigger_id",
  "file_id",
  "assignment_id",
] as const;

export const auditMigrations = [
  // the first, unchained table; its rows are moved into the chain at start (see legacy.ts)
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
  defineMigration("0002-audit-hash-chain", (schema, { knex }) =>
    schema
      .createTable("audit_log", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.bigInteger("seq").notNullable();
        // byte order ("C") on PostgreSQL, as SQLite's default, so a type prefix is an index range
        if (knex.client.dialect === "postgresql")
          t.specificType("type", 'varchar(120) collate "C"').notNullable();
        else t.string("type", 120).notNullable();
        t.datetime("occurred_at", { useTz: true, precision: 3 }).notNullable();
        t.datetime("recorded_at", { useTz: true, precision: 3 }).notNullable();
        t.string("actor_kind", 20).notNullable();
        t.string("actor_id", 200).notNullable();
        t.text("subject_ids").notNullable();
        for (const c of SUBJECT_COLUMNS) t.string(c, 200).nullable();
        t.string("request_id", 100).notNullable().defaultTo("");
        t.text("data").notNullable();
        t.string("prev_hash", 64).notNullable();
        t.string("hash", 64).notNullable();
        t.unique(["tenant", "seq"], { indexName: "audit_log_tenant_seq_uq" });
        t.index(["tenant", "type", "seq"], "audit_log_type_idx");
        t.index(["tenant", "actor_kind", "actor_id", "seq"], "audit_log_actor_idx");
        // covering: a time range's lowest and highest seq come from the index alone (see query.ts)
        t.index(["tenant", "occurred_at", "seq"], "audit_log_occurred_idx");
        for (const c of SUBJECT_COLUMNS) {
          t.index(["tenant", c, "seq"], `audit_log_${c}_idx`, { predicate: knex.whereNotNull(c) });
        }
      })
      .createTable("audit_chain_heads", (t) => {
        t.string("tenant", 63).primary();
        t.bigInteger("seq").notNullable();
        t.string("hash", 64).notNullable();
        t.datetime("updated_at", { useTz: true, precision: 3 }).notNullable();
      })
      .createTable("audit_checkpoints", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.bigInteger("seq").notNullable();
        t.string("hash", 64).notNullable();
        t.datetime("signed_at", { useTz: true, precision: 3 }).notNullable();
        t.string("key_id", 16).notNullable();
        t.string("signature", 100).notNullable();
        t.unique(["tenant", "seq"], { indexName: "audit_checkpoints_tenant_seq_uq" });
      }),
  ),
];
