import { defineMigration, outboxMigration } from "@latchflow/runtime/db";

const ts = { useTz: true, precision: 3 } as const;

/** The scopes an admin's default token carried before the tokens scopes existed (ADR 014). */
const PRE_014_ADMIN_SCOPES = [
  "bundles:read",
  "bundles:write",
  "files:read",
  "files:write",
  "recipients:read",
  "recipients:write",
  "pipelines:write",
  "pipelines:run",
  "plugins:admin",
  "audit:read",
];

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
        t.datetime("created_at", ts).notNullable();
        t.unique(["tenant", "email"], { indexName: "users_tenant_email_uniq" });
      })
      .createTable("api_tokens", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("user_id", 26).notNullable().references("id").inTable(table("users"));
        t.string("name", 200).notNullable();
        t.string("token_hash", 64).notNullable().unique({ indexName: "api_tokens_hash_uniq" });
        t.text("scopes").notNullable();
        t.datetime("created_at", ts).notNullable();
        t.datetime("expires_at", ts).nullable();
        t.datetime("last_used_at", ts).nullable();
        t.datetime("revoked_at", ts).nullable();
        t.index(["user_id"], "api_tokens_user_idx");
      }),
  ),
  defineMigration("0002-identity", (schema, { table }) =>
    schema
      .alterTable("users", (t) => {
        t.datetime("last_sign_in_at", ts).nullable();
      })
      .createTable("permissions", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("user_id", 26).notNullable().references("id").inTable(table("users"));
        t.string("action", 64).notNullable();
        t.string("resource_type", 64).notNullable();
        t.string("resource_id", 64).notNullable();
        t.string("effect", 5).notNullable();
        t.datetime("created_at", ts).notNullable();
        t.index(["user_id"], "permissions_user_idx");
      })
      .createTable("recipients", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("email", 320).notNullable();
        t.string("name", 200).notNullable().defaultTo("");
        t.boolean("enabled").notNullable().defaultTo(true);
        t.datetime("created_at", ts).notNullable();
        t.datetime("updated_at", ts).notNullable();
        t.unique(["tenant", "email"], { indexName: "recipients_tenant_email_uniq" });
      })
      .createTable("sessions", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("subject_kind", 10).notNullable();
        t.string("subject_id", 26).notNullable();
        t.string("token_hash", 64).notNullable().unique({ indexName: "sessions_hash_uniq" });
        t.string("csrf_hash", 64).notNullable();
        t.string("ip", 64).notNullable().defaultTo("");
        t.string("user_agent", 512).notNullable().defaultTo("");
        t.datetime("created_at", ts).notNullable();
        t.datetime("last_seen_at", ts).notNullable();
        t.datetime("expires_at", ts).notNullable();
        t.datetime("revoked_at", ts).nullable();
        t.index(["subject_kind", "subject_id"], "sessions_subject_idx");
      })
      .createTable("magic_links", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("email", 320).notNullable();
        t.string("token_hash", 64).notNullable().unique({ indexName: "magic_links_hash_uniq" });
        t.string("next", 500).notNullable().defaultTo("");
        t.datetime("created_at", ts).notNullable();
        t.datetime("expires_at", ts).notNullable();
        t.datetime("used_at", ts).nullable();
      })
      .createTable("otp_challenges", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("recipient_id", 26).notNullable().references("id").inTable(table("recipients"));
        t.string("code_hash", 64).notNullable();
        t.integer("attempts").notNullable().defaultTo(0);
        t.datetime("created_at", ts).notNullable();
        t.datetime("expires_at", ts).notNullable();
        t.datetime("used_at", ts).nullable();
        t.index(["recipient_id", "created_at"], "otp_recipient_idx");
      })
      .createTable("device_grants", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("device_code_hash", 64).notNullable().unique({ indexName: "device_grants_hash_uniq" });
        t.string("user_code", 8).notNullable();
        t.string("client_id", 100).notNullable();
        t.text("scopes").notNullable();
        t.string("status", 10).notNullable();
        t.string("user_id", 26).nullable();
        t.integer("interval_seconds").notNullable();
        t.datetime("last_polled_at", ts).nullable();
        t.datetime("created_at", ts).notNullable();
        t.datetime("expires_at", ts).notNullable();
        t.index(["user_code"], "device_grants_user_code_idx");
      })
      .createTable("rate_limits", (t) => {
        t.string("key", 200).primary();
        t.bigInteger("window_start").notNullable();
        t.integer("count").notNullable();
      }),
  ),
  defineMigration("0003-device-approval-ceiling", (schema, { table }) =>
    schema
      .alterTable("device_grants", (t) => {
        t.text("approved_scopes").nullable();
        t.datetime("token_expires_at", ts).nullable();
      })
      // managing tokens now needs tokens:write: tokens made with an owner's or admin's defaults (every scope but
      // perhaps users:admin) keep that power; narrower tokens lose it
      .raw(
        `UPDATE ${table("api_tokens")} SET scopes = scopes || ' tokens:read tokens:write' WHERE ${PRE_014_ADMIN_SCOPES.map(
          (s) => `(' ' || scopes || ' ') LIKE '% ${s} %'`,
        ).join(" AND ")}`,
      ),
  ),
  defineMigration("0004-recipient-devices-and-pairings", (schema, { table }) =>
    schema
      .createTable("recipient_devices", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("recipient_id", 26).notNullable().references("id").inTable(table("recipients"));
        t.string("key_hash", 64).notNullable();
        t.string("name", 60).notNullable().defaultTo("");
        t.string("user_agent", 512).notNullable().defaultTo("");
        t.datetime("first_seen_at", ts).notNullable();
        t.datetime("last_seen_at", ts).notNullable();
        t.string("paired_by", 26).nullable();
        t.datetime("forgotten_at", ts).nullable();
        t.unique(["recipient_id", "key_hash"], { indexName: "recipient_devices_key_uniq" });
      })
      .alterTable("sessions", (t) => {
        t.string("device_id", 26).nullable();
        t.index(["device_id"], "sessions_device_idx");
      })
      .createTable("pairings", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("recipient_id", 26).notNullable().references("id").inTable(table("recipients"));
        t.string("device_id", 26).nullable();
        t.string("code_hash", 64).notNullable().unique({ indexName: "pairings_code_uniq" });
        t.string("status", 10).notNullable();
        t.string("claim_hash", 64).nullable().unique({ indexName: "pairings_claim_uniq" });
        t.string("claimant_user_agent", 512).notNullable().defaultTo("");
        t.string("claimant_ip", 64).notNullable().defaultTo("");
        t.string("claimant_key_hash", 64).nullable();
        t.datetime("claimed_at", ts).nullable();
        t.datetime("decided_at", ts).nullable();
        t.string("approved_by", 26).nullable();
        t.string("new_device_id", 26).nullable();
        t.datetime("delivered_at", ts).nullable();
        t.datetime("created_at", ts).notNullable();
        t.datetime("expires_at", ts).notNullable();
        t.index(["recipient_id"], "pairings_recipient_idx");
      }),
  ),
];
