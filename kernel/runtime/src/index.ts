export type { EntityManager } from "@mikro-orm/knex";
export { createBusFromConfig } from "./bus-from-config.js";
export { type InstrumentBusOptions, instrumentBus } from "./bus-instrumentation.js";
export * from "./config.js";
export * from "./context.js";
export {
  type Database,
  type DatabaseTarget,
  type Dialect,
  databaseTarget,
  dateFromSql,
  openDatabase,
  type ServiceSchema,
  type SqlOrm,
  sqlDate,
  sqlTable,
} from "./db/database.js";
export { type Row, rowsAlone, rowsInTransaction, runInTransaction } from "./db/in-transaction.js";
export { defineMigration, type MigrationTools, type SchemaChange } from "./db/migration.js";
export { insertRows, updateWhere } from "./db/row-writes.js";
export * from "./errors.js";
export * from "./grpc/index.js";
export { newId } from "./ids.js";
export * from "./local-byte-plane.js";
export * from "./logger.js";
export { createMailer, type Mailer, type MailMessage, type SentMail } from "./mail.js";
export * from "./metrics.js";
export {
  createOutboxRelay,
  emitEvent,
  insertEvents,
  type OutboxRelay,
  type OutboxRelayOptions,
  requestEvent,
} from "./outbox/outbox.js";
export { OutboxMessage, outboxMigration } from "./outbox/outbox-entity.js";
export * from "./pagination.js";
export * from "./policy.js";
export * from "./policy-subject.js";
export * from "./private-files.js";
export * from "./release-buffer.js";
export * from "./scopes.js";
export * from "./service.js";
export * from "./stats-window.js";
export * from "./tracing.js";
