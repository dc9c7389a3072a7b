// The services' databases: MikroORM over SQLite or PostgreSQL, migrations and the outbox. Its own entry point
// (`@latchflow/runtime/db`), apart from the runtime's: a process without a database (the gateway) never loads
// MikroORM, knex and the SQL drivers (ADR 070).
export type { EntityManager } from "@mikro-orm/knex";
export {
  createOutboxRelay,
  emitEvent,
  insertEvents,
  type OutboxRelay,
  type OutboxRelayOptions,
  requestEvent,
} from "../outbox/outbox.js";
export { OutboxMessage, outboxMigration } from "../outbox/outbox-entity.js";
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
} from "./database.js";
export { type Row, rowsAlone, rowsInTransaction, runInTransaction } from "./in-transaction.js";
export { defineMigration, type MigrationTools, type SchemaChange } from "./migration.js";
export { insertRows, updateWhere } from "./row-writes.js";
