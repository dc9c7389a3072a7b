import type { EntityManager } from "@mikro-orm/knex";
import { binding } from "./bound-parameters.js";
import type { Database } from "./database.js";
import { preparedOn, type SqliteConnection } from "./sqlite-driver.js";

/** The parts of knex's client (or of a transaction's) this file uses: a connection. */
interface TransactionClient {
  acquireConnection(): Promise<SqliteConnection | PgClient>;
}

/** knex's client: a connection of the pool, and giving it back. */
interface PoolClient extends TransactionClient {
  releaseConnection(connection: SqliteConnection | PgClient): Promise<unknown>;
}

/** The part of a `pg` client this file uses. */
interface PgClient {
  query(text: string, values: unknown[]): Promise<{ rowCount: number | null; rows: Row[] }>;
}

/** A row as the driver returns it (column name → value; Postgres `bigint`s as strings). */
export type Row = Record<string, unknown>;

/** Postgres texts with `$1, $2, …` for the `?`s of a statement, built once per text. */
const numbered = new Map<string, string>();

function pgText(sql: string): string {
  let text = numbered.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    numbered.set(sql, text);
  }
  return text;
}

/**
 * Runs one write (`INSERT`, `UPDATE`, `DELETE`) with bound values on the connection `tx`'s transaction holds,
 * straight to the driver: a prepared statement on SQLite, a `pg` query on Postgres — not through knex's query
 * path and MikroORM's logging (~35 µs of CPU a statement). The transaction is knex's own (begun, committed or
 * rolled back by `transactional` or `Database.transaction`), so the write commits or rolls back with the rest;
 * its connection is the transaction's, held until the end, so nothing else runs on it meanwhile. `sql` uses
 * `?` placeholders (and no literal `?`); values are plain, as for {@link binding}. Returns the rows changed.
 * Refused outside a transaction (the write would commit apart from the change it belongs to); driver errors
 * are converted as MikroORM's are.
 */
export async function runInTransaction(
  tx: EntityManager,
  sql: string,
  values: readonly unknown[],
): Promise<number> {
  return onConnection(
    tx,
    await transactionConnection(tx),
    sql,
    values,
    (statement, bound) => statement.run(bound).changes,
    async (client, text, bound) => (await client.query(text, bound)).rowCount ?? 0,
  );
}

/**
 * {@link runInTransaction} for a statement that returns rows (a `SELECT` of the transaction, an upsert with
 * `RETURNING`): the rows as the driver gives them, not hydrated (Postgres `bigint`s are strings).
 */
export async function rowsInTransaction(
  tx: EntityManager,
  sql: string,
  values: readonly unknown[],
): Promise<Row[]> {
  return onConnection(
    tx,
    await transactionConnection(tx),
    sql,
    values,
    (statement, bound) => statement.all(bound) as Row[],
    async (client, text, bound) => (await client.query(text, bound)).rows,
  );
}

/**
 * One statement on its own, outside any transaction (so it commits by itself), on a connection of `db`'s pool,
 * straight to the driver as {@link rowsInTransaction}: the rows it returns (none for a write without
 * `RETURNING`). A write made so does not wait for SQLite's group commit (it reaches the WAL at once, the disk
 * with the next sync): only for reads, and for writes a power cut may lose because they are redone (the
 * outbox relay's marks).
 */
export async function rowsAlone(db: Database, sql: string, values: readonly unknown[]): Promise<Row[]> {
  const em = db.orm.em;
  const client: PoolClient = em.getKnex().client;
  const connection = await client.acquireConnection();
  try {
    return await onConnection(
      em,
      connection,
      sql,
      values,
      (statement, bound) => {
        if (statement.reader) return statement.all(bound) as Row[];
        statement.run(bound);
        return [];
      },
      async (pg, text, bound) => (await pg.query(text, bound)).rows,
    );
  } finally {
    await client.releaseConnection(connection);
  }
}

/** The connection `tx`'s transaction holds; refused outside a transaction. */
async function transactionConnection(tx: EntityManager): Promise<SqliteConnection | PgClient> {
  const trx = tx.getTransactionContext();
  if (!trx) throw new Error("runInTransaction runs inside a transaction");
  const client: TransactionClient = trx.client;
  return client.acquireConnection();
}

async function onConnection<T>(
  em: EntityManager,
  connection: SqliteConnection | PgClient,
  sql: string,
  values: readonly unknown[],
  onSqlite: (statement: ReturnType<typeof preparedOn>, bound: unknown[]) => T,
  onPostgres: (client: PgClient, text: string, bound: unknown[]) => Promise<T>,
): Promise<T> {
  const sqlite = "prepare" in connection;
  const bound = values.map((v) => {
    const b = binding(sqlite ? "sqlite" : "postgres", v);
    if (!b) throw new Error(`Cannot bind ${typeof v} in ${sql}`);
    return b.value;
  });
  try {
    if (sqlite) return onSqlite(preparedOn(connection, sql), bound);
    return await onPostgres(connection, pgText(sql), bound);
  } catch (err) {
    // as MikroORM's own statements fail: a duplicate key is a `UniqueConstraintViolationException` (a 409)
    throw err instanceof Error ? em.getDriver().convertException(err) : err;
  }
}
