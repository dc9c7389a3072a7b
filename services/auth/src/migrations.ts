import { defineMigration, outboxMigration } from "@latchflow/runtime";

export const authMigrations = [
  outboxMigration,
  defineMigration("0001-users-and-tokens", (schema, { table }) =>
    schema
      .createTable("users", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("email", 320).notNullable();
        t.string("role", 20).notNullable();
        t.boolean("active").notNullable().defaultTo(true);
        t.datetime("created_at", { useTz: true, precision: 3 }).notNullable();
        t.unique(["tenant", "email"], { indexName: "users_tenant_email_uniq" });
      })
      .createTable("api_tokens", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("user_id", 26).notNullable().references("id").inTable(table("users"));
        t.string("name", 200).notNullable();
        t.string("token_hash", 64).notNullable().unique({ indexName: "api_tokens_hash_uniq" });
        t.text("scopes").notNullable();
        t.datetime("created_at", { useTz: true, precision: 3 }).notNullable();
        t.datetime("expires_at", { useTz: true, precision: 3 }).nullable();
        t.datetime("last_used_at", { useTz: true, precision: 3 }).nullable();
        t.datetime("revoked_at", { useTz: true, precision: 3 }).nullable();
        t.index(["user_id"], "api_tokens_user_idx");
      }),
  ),
];
