import { defineMigration, outboxMigration } from "@latchflow/runtime/db";

export const storageMigrations = [
  outboxMigration,
  defineMigration("0001-blobs", (schema) =>
    schema.createTable("blobs", (t) => {
      t.string("id", 26).primary();
      t.string("tenant", 63).notNullable();
      t.string("sha256", 64).notNullable();
      t.bigInteger("size").notNullable();
      t.integer("chunk_size").notNullable();
      t.string("wrapped_dek", 100).notNullable();
      t.string("key_id", 32).notNullable();
      t.string("nonce_prefix", 32).notNullable();
      t.string("driver_key", 200).notNullable();
      t.integer("refcount").notNullable();
      t.datetime("created_at", { useTz: true, precision: 3 }).notNullable();
      t.unique(["tenant", "sha256"], { indexName: "blobs_tenant_sha256_uniq" });
      t.unique(["driver_key"], { indexName: "blobs_driver_key_uniq" });
      t.index(["key_id"], "blobs_key_id_idx");
    }),
  ),
  defineMigration("0002-blobs-crc32", (schema) =>
    schema.alterTable("blobs", (t) => {
      t.bigInteger("crc32").notNullable().defaultTo(0);
    }),
  ),
];
