import { defineMigration, outboxMigration } from "@latchflow/runtime/db";

const ts = { useTz: true, precision: 3 } as const;

export const bundlesMigrations = [
  outboxMigration,
  defineMigration("0001-bundles", (schema) =>
    schema.createTable("bundles", (t) => {
      t.string("id", 26).primary();
      t.string("tenant", 63).notNullable();
      t.string("name", 200).notNullable();
      t.text("description").notNullable().defaultTo("");
      t.datetime("created_at", ts).notNullable();
      t.datetime("updated_at", ts).notNullable();
      t.unique(["tenant", "name"], { indexName: "bundles_tenant_name_uniq" });
      t.index(["tenant", "id"], "bundles_tenant_id_idx");
    }),
  ),
  defineMigration("0002-files-assignments-downloads", (schema) =>
    schema
      .alterTable("bundles", (t) => {
        t.boolean("enabled").notNullable().defaultTo(true);
        t.string("current_version_id", 26).nullable();
      })
      .createTable("files", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("name", 255).notNullable();
        t.string("folder", 1024).notNullable().defaultTo("/");
        t.string("content_type", 255).notNullable();
        t.bigInteger("size").notNullable();
        t.string("sha256", 64).notNullable();
        t.bigInteger("crc32").notNullable();
        t.string("blob_id", 64).notNullable();
        t.text("metadata").notNullable().defaultTo("{}");
        t.datetime("created_at", ts).notNullable();
        t.datetime("updated_at", ts).notNullable();
        t.index(["tenant", "id"], "files_tenant_id_idx");
        t.index(["tenant", "folder"], "files_tenant_folder_idx");
      })
      .createTable("bundle_objects", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("bundle_id", 26).notNullable();
        t.string("file_id", 26).notNullable();
        t.string("path", 1024).notNullable();
        t.integer("position").notNullable();
        t.index(["bundle_id", "position"], "bundle_objects_bundle_idx");
        t.index(["file_id"], "bundle_objects_file_idx");
      })
      .createTable("bundle_versions", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("bundle_id", 26).notNullable();
        t.integer("number").notNullable();
        t.text("manifest").notNullable();
        t.bigInteger("size").notNullable();
        t.string("etag", 100).notNullable();
        t.integer("files").notNullable();
        t.datetime("created_at", ts).notNullable();
        t.datetime("released_at", ts).nullable();
        t.unique(["bundle_id", "number"], { indexName: "bundle_versions_number_uniq" });
      })
      .createTable("assignments", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("bundle_id", 26).notNullable();
        t.string("recipient_id", 26).notNullable();
        t.integer("max_downloads").nullable();
        t.integer("cooldown_seconds").notNullable().defaultTo(0);
        t.datetime("not_before", ts).nullable();
        t.datetime("not_after", ts).nullable();
        t.string("passphrase_hash", 200).nullable();
        t.boolean("enabled").notNullable().defaultTo(true);
        t.integer("downloads_used").notNullable().defaultTo(0);
        t.datetime("last_download_at", ts).nullable();
        t.datetime("cooldown_until", ts).nullable();
        t.datetime("created_at", ts).notNullable();
        t.datetime("updated_at", ts).notNullable();
        t.unique(["bundle_id", "recipient_id"], { indexName: "assignments_bundle_recipient_uniq" });
        t.index(["recipient_id"], "assignments_recipient_idx");
      })
      .createTable("download_grants", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("assignment_id", 26).notNullable();
        t.string("bundle_id", 26).notNullable();
        t.string("recipient_id", 26).notNullable();
        t.string("version_id", 26).notNullable();
        t.string("token_hash", 64).notNullable().unique({ indexName: "download_grants_hash_uniq" });
        t.string("device_id", 64).notNullable().defaultTo("");
        t.boolean("new_device").notNullable().defaultTo(false);
        t.string("ip", 64).notNullable().defaultTo("");
        t.string("user_agent", 512).notNullable().defaultTo("");
        t.datetime("created_at", ts).notNullable();
        t.datetime("expires_at", ts).notNullable();
        t.index(["recipient_id", "id"], "download_grants_recipient_idx");
        t.index(["version_id", "expires_at"], "download_grants_version_idx");
      })
      .createTable("publish_links", (t) => {
        t.string("id", 26).primary();
        t.string("tenant", 63).notNullable();
        t.string("bundle_id", 26).notNullable();
        t.string("token_hash", 64).notNullable().unique({ indexName: "publish_links_hash_uniq" });
        t.integer("max_uses").nullable();
        t.integer("uses").notNullable().defaultTo(0);
        t.datetime("expires_at", ts).notNullable();
        t.datetime("created_at", ts).notNullable();
        t.datetime("revoked_at", ts).nullable();
        t.index(["bundle_id"], "publish_links_bundle_idx");
      }),
  ),
  defineMigration("0003-passphrase-attempts", (schema) =>
    schema.createTable("passphrase_attempts", (t) => {
      t.string("key", 200).primary();
      t.bigInteger("window_start").notNullable();
      t.integer("failures").notNullable();
      t.bigInteger("locked_until").notNullable();
    }),
  ),
  defineMigration("0004-download-budgets", (schema) =>
    schema
      .alterTable("download_grants", (t) => {
        // the recipient session the grant was given to; GET /dl/{token} needs the same one
        t.string("session_id", 64).notNullable().defaultTo("");
        // bytes reserved by requests (minus what was given back unsent); bounded by the archive + allowance
        t.bigInteger("bytes_served").notNullable().defaultTo(0);
      })
      .alterTable("publish_links", (t) => {
        // bytes served across all uses; a range request is free only within what the counted uses allow
        t.bigInteger("bytes_served").notNullable().defaultTo(0);
      }),
  ),
  defineMigration("0005-assignment-message", (schema) =>
    schema.alterTable("assignments", (t) => {
      // what the sender wrote for the recipient, shown before the download (plain text; see ADR 021)
      t.text("message").notNullable().defaultTo("");
      // the recipient must acknowledge the message before the first download
      t.boolean("acknowledgement_required").notNullable().defaultTo(false);
      // when the recipient acknowledged the current message (null = not yet, or the message changed since)
      t.datetime("acknowledged_at", ts).nullable();
    }),
  ),
  defineMigration("0006-download-completion", (schema) =>
    schema.alterTable("download_grants", (t) => {
      // when a response delivered the archive's last byte (GET /dl/{token} finished writing size-1); null = not yet
      t.datetime("completed_at", ts).nullable();
    }),
  ),
  defineMigration("0007-download-grants-assignment", (schema) =>
    schema.alterTable("download_grants", (t) => {
      // an assignment's download log, newest first (GET /api/v1/assignments/{id}/downloads)
      t.index(["assignment_id", "id"], "download_grants_assignment_idx");
    }),
  ),
];
