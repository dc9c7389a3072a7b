import type { EntityManager } from "@mikro-orm/knex";
import type { SqlOrm } from "./database.js";
import { preparedOn, type SqliteConnection } from "./sqlite-driver.js";

/** The parts of knex's client this file uses: a connection of the pool, and giving it back. */
interface SqlitePool {
  acquireConnection(): Promise<SqliteConnection & { readonly inTransaction: boolean }>;
  releaseConnection(connection: SqliteConnection): Promise<unknown>;
}

/** The transactions of `Database` flush nothing: an entity persisted or loaded in one makes it throw. */
export function assertNothingToFlush(tx: EntityManager, method: string): void {
  const uow = tx.getUnitOfWork();
  if (uow.getPersistStack().size > 0 || uow.getIdentityMap().keys().length > 0) {
    throw new Error(`Database.${method} flushes nothing: use transactional() for entities`);
  }
}

/**
 * A SQLite transaction of bound statements only, without knex's transaction: `BEGIN`, the statements `fn` sends
 * with `runInTransaction` (or the helpers built on it) and `COMMIT` run as prepared statements on one connection
 * of the pool, held until the end; `ROLLBACK` when `fn` or the commit fails. `fn` gets an EntityManager whose
 * transaction context is that connection and nothing else, so anything but those statements (a MikroORM
 * query, `nativeUpdate`, `insertMany`) fails and rolls the transaction back. Resolves with `fn`'s result once
 * committed; the caller waits for the disk (the group commit).
 */
export async function sqliteStatementTransaction<T>(
  orm: SqlOrm,
  fn: (tx: EntityManager) => Promise<T>,
): Promise<T> {
  const pool = orm.em.getKnex().client as unknown as SqlitePool;
  const connection = await pool.acquireConnection();
  try {
    preparedOn(connection, "BEGIN").run([]);
    try {
      const tx = orm.em.fork();
      tx.setTransactionContext({ client: { acquireConnection: async () => connection } });
      const result = await fn(tx);
      assertNothingToFlush(tx, "statementTransaction");
      preparedOn(connection, "COMMIT").run([]);
      return result;
    } catch (err) {
      if (connection.inTransaction) preparedOn(connection, "ROLLBACK").run([]);
      throw err;
    }
  } finally {
    await pool.releaseConnection(connection);
  }
}
