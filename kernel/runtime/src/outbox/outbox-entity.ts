import { defineEntity, p } from "@mikro-orm/core";
import { defineMigration } from "../db/migration.js";

/** One row per event waiting to be (or already) published. Written in the same transaction as the change. */
export const OutboxMessage = defineEntity({
  name: "OutboxMessage",
  tableName: "lf_outbox",
  properties: {
    id: p.string().primary().length(26),
    type: p.string().length(120),
    tenant: p.string().length(63),
    envelope: p.text(),
    createdAt: p.datetime().fieldName("created_at"),
    sentAt: p.datetime().nullable().fieldName("sent_at"),
    attempts: p.integer().default(0),
    lastError: p.text().nullable().fieldName("last_error"),
  },
});

/** Every service includes this migration (first) so its outbox table exists. */
export const outboxMigration = defineMigration("0000-runtime-outbox", (schema) =>
  schema.createTable("lf_outbox", (t) => {
    t.string("id", 26).primary();
    t.string("type", 120).notNullable();
    t.string("tenant", 63).notNullable();
    t.text("envelope").notNullable();
    t.datetime("created_at", { useTz: true, precision: 3 }).notNullable();
    t.datetime("sent_at", { useTz: true, precision: 3 }).nullable();
    t.integer("attempts").notNullable().defaultTo(0);
    t.text("last_error").nullable();
    t.index(["sent_at", "id"], "lf_outbox_unsent_idx");
  }),
);
