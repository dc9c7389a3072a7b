import { defineMigration } from "@latchflow/runtime/db";
import { defineEntity, type InferEntity, p } from "@mikro-orm/core";

const ts = { useTz: true, precision: 3 } as const;

/** An installed third-party plugin (built-ins are not stored: they ship with the kernel). */
export const PluginRow = defineEntity({
  name: "PluginRow",
  tableName: "plugins",
  uniques: [{ properties: ["tenant", "name"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    name: p.string().length(214),
    version: p.string().length(64),
    /** tarball | registry */
    source: p.string().length(16),
    integrity: p.string().length(200),
    manifest: p.text(),
    code: p.text(),
    /** JSON array of enabled capability ids (`<key>@<major>`) */
    enabled: p.text().default("[]"),
    /** JSON array of approved egress hosts */
    approvedHosts: p.text().default("[]").fieldName("approved_hosts"),
    installedAt: p.datetime().fieldName("installed_at"),
    updatedAt: p.datetime().fieldName("updated_at"),
    /** who signed the installed package (all null: unsigned); see ADR 042 */
    signerPublicKey: p.string().length(100).nullable().fieldName("signer_public_key"),
    signerFingerprint: p.string().length(80).nullable().fieldName("signer_fingerprint"),
    signerKeyId: p.string().length(16).nullable().fieldName("signer_key_id"),
    signerName: p.string().length(200).nullable().fieldName("signer_name"),
  },
});
export type PluginRow = InferEntity<typeof PluginRow>;

/** A plugin's secret, sealed by the storage service with the master key. Never returned. */
export const PluginSecretRow = defineEntity({
  name: "PluginSecretRow",
  tableName: "plugin_secrets",
  uniques: [{ properties: ["tenant", "plugin", "name"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    plugin: p.string().length(214),
    name: p.string().length(100),
    sealed: p.text(),
    updatedAt: p.datetime().fieldName("updated_at"),
  },
});
export type PluginSecretRow = InferEntity<typeof PluginSecretRow>;

/** Kernel-wide settings shared by every replica (e.g. the key that signs trigger links). */
export const SettingRow = defineEntity({
  name: "SettingRow",
  tableName: "kernel_settings",
  properties: {
    key: p.string().primary().length(100),
    value: p.text(),
  },
});
export type SettingRow = InferEntity<typeof SettingRow>;

export const pluginsMigration = defineMigration("0003-plugins-and-settings", (schema) =>
  schema
    .createTable("plugins", (t) => {
      t.string("id", 26).primary();
      t.string("tenant", 63).notNullable();
      t.string("name", 214).notNullable();
      t.string("version", 64).notNullable();
      t.string("source", 16).notNullable();
      t.string("integrity", 200).notNullable();
      t.text("manifest").notNullable();
      t.text("code").notNullable();
      t.text("enabled").notNullable().defaultTo("[]");
      t.text("approved_hosts").notNullable().defaultTo("[]");
      t.datetime("installed_at", ts).notNullable();
      t.datetime("updated_at", ts).notNullable();
      t.unique(["tenant", "name"], { indexName: "plugins_tenant_name_uniq" });
    })
    .createTable("plugin_secrets", (t) => {
      t.string("id", 26).primary();
      t.string("tenant", 63).notNullable();
      t.string("plugin", 214).notNullable();
      t.string("name", 100).notNullable();
      t.text("sealed").notNullable();
      t.datetime("updated_at", ts).notNullable();
      t.unique(["tenant", "plugin", "name"], { indexName: "plugin_secrets_uniq" });
    })
    .createTable("kernel_settings", (t) => {
      t.string("key", 100).primary();
      t.text("value").notNullable();
    }),
);

/** An admin's egress approval for a built-in plugin (installed plugins keep theirs in `plugins.approved_hosts`). */
export const PluginApprovalRow = defineEntity({
  name: "PluginApprovalRow",
  tableName: "plugin_approvals",
  uniques: [{ properties: ["tenant", "plugin"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    plugin: p.string().length(214),
    /** JSON array of approved egress hosts */
    approvedHosts: p.text().default("[]").fieldName("approved_hosts"),
    updatedAt: p.datetime().fieldName("updated_at"),
  },
});
export type PluginApprovalRow = InferEntity<typeof PluginApprovalRow>;

export const approvalsMigration = defineMigration("0004-plugin-approvals", (schema) =>
  schema.createTable("plugin_approvals", (t) => {
    t.string("id", 26).primary();
    t.string("tenant", 63).notNullable();
    t.string("plugin", 214).notNullable();
    t.text("approved_hosts").notNullable().defaultTo("[]");
    t.datetime("updated_at", ts).notNullable();
    t.unique(["tenant", "plugin"], { indexName: "plugin_approvals_uniq" });
  }),
);

/** A publisher key an admin trusts: packages it signed install as "trusted" (ADR 042). */
export const PublisherKeyRow = defineEntity({
  name: "PublisherKeyRow",
  tableName: "plugin_publisher_keys",
  uniques: [{ properties: ["tenant", "fingerprint"] }],
  properties: {
    id: p.string().primary().length(26),
    tenant: p.string().length(63),
    /** the admin's label for the publisher */
    name: p.string().length(200),
    publicKey: p.string().length(100).fieldName("public_key"),
    fingerprint: p.string().length(80),
    keyId: p.string().length(16).fieldName("key_id"),
    addedBy: p.string().length(64).fieldName("added_by"),
    addedAt: p.datetime().fieldName("added_at"),
  },
});
export type PublisherKeyRow = InferEntity<typeof PublisherKeyRow>;

export const signaturesMigration = defineMigration("0006-plugin-signatures", (schema) =>
  schema
    .alterTable("plugins", (t) => {
      t.string("signer_public_key", 100).nullable();
      t.string("signer_fingerprint", 80).nullable();
      t.string("signer_key_id", 16).nullable();
      t.string("signer_name", 200).nullable();
    })
    .createTable("plugin_publisher_keys", (t) => {
      t.string("id", 26).primary();
      t.string("tenant", 63).notNullable();
      t.string("name", 200).notNullable();
      t.string("public_key", 100).notNullable();
      t.string("fingerprint", 80).notNullable();
      t.string("key_id", 16).notNullable();
      t.string("added_by", 64).notNullable();
      t.datetime("added_at", ts).notNullable();
      t.unique(["tenant", "fingerprint"], { indexName: "plugin_publisher_keys_uniq" });
    }),
);
