import { join, resolve } from "node:path";
import type { Constructor, EntitySchema, MikroORM } from "@mikro-orm/core";
import type { AbstractSqlDriver, EntityManager } from "@mikro-orm/knex";
import { MikroORM as LibSqlORM } from "@mikro-orm/libsql";
import { type Migration, Migrator } from "@mikro-orm/migrations";
import { MikroORM as PostgresORM } from "@mikro-orm/postgresql";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { makeSqliteFilePrivate } from "../private-files.js";
import { bindParameters } from "./bound-parameters.js";
import { groupCommit } from "./group-commit.js";
import { LocalLibSqlDriver } from "./sqlite-driver.js";
import { assertNothingToFlush, sqliteStatementTransaction } from "./statement-transaction.js";

export type Dialect = "sqlite" | "postgres";

/** Where a service's data lives: one SQLite file, or one schema of a PostgreSQL database. */
export type DatabaseTarget =
  | { kind: "sqlite"; file: string }
  | { kind: "postgres"; url: string; schema: string; poolMax?: number };

export interface ServiceSchema {
  // biome-ignore lint/suspicious/noExplicitAny: MikroORM entity schemas are heterogeneous
  entities: EntitySchema<any, any>[];
  /** ordered; names are stable forever (they are recorded in the migrations table) */
  migrations: { name: string; class: Constructor<Migration> }[];
}

/** MikroORM over one of the SQL drivers. */
export type SqlOrm = MikroORM<AbstractSqlDriver, EntityManager<AbstractSqlDriver>>;

export interface Database {
  readonly orm: SqlOrm;
  readonly dialect: Dialect;
  /** a fresh EntityManager for one unit of work */
  em(): EntityManager;
  /**
   * A transaction for a hot path that writes with bound statements ({@link runInTransaction}, `nativeUpdate`)
   * and reads nothing into the unit of work: knex's transaction with a fresh EntityManager bound to it,
   * without MikroORM's transaction manager (~0.2 ms of CPU less a transaction). Nothing is flushed: an
   * entity persisted or loaded in it makes it throw (and roll back). Commits as `transactional` does: on
   * SQLite it resolves once the commit is on disk (the group commit).
   */
  transaction<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T>;
  /**
   * {@link transaction} for a body that sends only bound statements (`runInTransaction`, `rowsInTransaction` and
   * the helpers built on them: `insertRows`, `updateWhere`, `insertEvents`), no MikroORM query. On SQLite it
   * skips knex's transaction: `BEGIN`, the statements and `COMMIT` run as prepared statements on one pool
   * connection (ADR 072: 0.07–0.33 ms less per REST write, embedded); anything else in the body fails and rolls
   * back. On Postgres it is {@link transaction}. Resolves as `transaction` does: once the commit is on disk.
   */
  statementTransaction<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Resolves the database of one service from the compiled config. */
export function databaseTarget(config: Config, service: string): DatabaseTarget {
  if (config.database.kind === "postgres") {
    return {
      kind: "postgres",
      url: config.database.url,
      schema: `${config.database.schemaPrefix}${service}`,
      poolMax: config.database.poolMax,
    };
  }
  return { kind: "sqlite", file: join(resolve(config.dataDir), `${service}.db`) };
}

/** Opens a service's database and brings its schema up to date. */
export async function openDatabase(
  target: DatabaseTarget,
  schema: ServiceSchema,
  logger: Logger,
): Promise<Database> {
  const common = {
    entities: schema.entities,
    extensions: [Migrator],
    migrations: {
      tableName: "lf_migrations",
      migrationsList: schema.migrations,
      transactional: true,
      allOrNothing: true,
      silent: true,
      // no schema snapshot: it introspects every schema of the database (racing with other services'
      // migrations) and writes files; migrations here are hand-written, never generated from a diff
      snapshot: false,
    },
    allowGlobalContext: false,
    // statements bind their values (see bindParameters): knex would otherwise inline them into a failed
    // statement's error message
    driverOptions: { compileSqlOnError: false },
    debug: false,
    logger: (message: string) => logger.debug({ orm: message }, "orm"),
  };
  let orm: SqlOrm;
  if (target.kind === "sqlite") {
    // the data dir and every parent are created 0700, the file 0600 before libsql opens it
    makeSqliteFilePrivate(target.file);
    // every connection gets busy_timeout, foreign keys and synchronous = NORMAL (see LocalLibSqlDriver)
    orm = await LibSqlORM.init({ ...common, driver: LocalLibSqlDriver, dbName: target.file });
    const knex = orm.em.getKnex();
    await knex.raw("PRAGMA journal_mode = WAL");
    makeSqliteFilePrivate(target.file);
  } else {
    orm = await PostgresORM.init({
      ...common,
      clientUrl: target.url,
      schema: target.schema,
      pool: { min: 0, max: target.poolMax ?? 10, idleTimeoutMillis: 10_000 },
    });
  }
  bindParameters(orm, target.kind);
  const sync = target.kind === "sqlite" ? groupCommit(orm, target.file) : undefined;
  const applied = await migrateUp(orm);
  if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, "migrations applied");
  const dialect: Dialect = target.kind;
  const transaction: Database["transaction"] = async (fn) => {
    const out = await orm.em.getKnex().transaction(async (trx) => {
      const tx = orm.em.fork();
      tx.setTransactionContext(trx);
      const result = await fn(tx);
      assertNothingToFlush(tx, "transaction");
      return result;
    });
    await sync?.flush();
    return out;
  };
  return {
    orm,
    dialect,
    em: () => orm.em.fork(),
    transaction,
    async statementTransaction(fn) {
      if (target.kind !== "sqlite") return transaction(fn);
      const out = await sqliteStatementTransaction(orm, fn);
      await sync?.flush();
      return out;
    },
    close: async () => {
      await orm.close(true);
      await sync?.close();
    },
  };
}

/** A Date as the database stores it (SQLite: epoch ms; Postgres: timestamptz), for raw SQL parameters. */
export function sqlDate(db: Database, d: Date): Date | number {
  return db.dialect === "sqlite" ? d.getTime() : d;
}

/**
 * A date column of a raw SQL row as a Date (SQLite: epoch ms, maybe as a numeric string; Postgres through
 * MikroORM's connection: the timestamptz text), or null. Throws on anything else, so a check such as
 * `expiresAt <= now` never runs on an Invalid Date (which compares false).
 */
export function dateFromSql(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  const date =
    value instanceof Date
      ? value
      : new Date(typeof value === "string" && !/^\d+$/.test(value) ? value : Number(value));
  if (Number.isNaN(date.getTime())) throw new Error(`Not a date from SQL: ${JSON.stringify(value)}`);
  return date;
}

/**
 * A table name quoted and qualified with the service's schema (Postgres), for raw SQL; from the database or from
 * one of its entity managers (a transaction).
 */
export function sqlTable(db: Database | EntityManager, table: string): string {
  const schema = "orm" in db ? db.orm.config.get("schema") : db.config.get("schema");
  return schema ? `"${schema}"."${table}"` : `"${table}"`;
}

/**
 * Runs pending migrations. MikroORM first lists every table of the database (casting each to `regclass`); a
 * schema dropped by someone else at that moment (test suites do it all the time, operators rarely) fails that
 * query with "does not exist" — harmless for us, so the listing is retried a few times.
 */
async function migrateUp(orm: SqlOrm): Promise<{ name: string }[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await orm.getMigrator().up();
    } catch (err) {
      const concurrentDrop = /information_schema\.tables[\s\S]*does not exist/.test(
        String((err as Error)?.message),
      );
      if (!concurrentDrop || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}
