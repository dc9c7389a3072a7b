import type { EntityManager } from "@mikro-orm/knex";
import { binding } from "./bound-parameters.js";
import { preparedOn, type SqliteConnection } from "./sqlite-driver.js";

/** The parts of knex's transaction (MikroORM's transaction context) this file uses: its one connection. */
interface TransactionClient {
  acquireConnection(): Promise<SqliteConnection | PgClient>;
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
    sql,
    values,
    (statement, bound) => statement.all(bound) as Row[],
    async (client, text, bound) => (await client.query(text, bound)).rows,
  );
}

async function onConnection<T>(
  tx: EntityManager,
  sql: string,
  values: readonly unknown[],
  onSqlite: (statement: ReturnType<typeof preparedOn>, bound: unknown[]) => T,
  onPostgres: (client: PgClient, text: string, bound: unknown[]) => Promise<T>,
): Promise<T> {
  const trx = tx.getTransactionContext();
  if (!trx) throw new Error("runInTransaction runs inside a transaction");
  const client: TransactionClient = trx.client;
  const connection = await client.acquireConnection();
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
    throw err instanceof Error ? tx.getDriver().convertException(err) : err;
  }
}
