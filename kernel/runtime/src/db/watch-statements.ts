import type { Database } from "./database.js";
import { forgetPrepared, type SqliteConnection } from "./sqlite-driver.js";

/** A libsql connection (statements prepared, then run) or a `pg` client (queries). */
type Connection = SqliteConnection | { query(q: string | { text: string }, ...rest: unknown[]): unknown };

/** One statement sent to the database: its text and the connection (numbered from 1) that ran it. */
export interface SeenStatement {
  sql: string;
  connection: number;
}

function watch(connection: Connection, seen: (sql: string) => void): void {
  if ("prepare" in connection) {
    // statements prepared before (migrations: `BEGIN;`, …) are prepared again, so they are seen too
    forgetPrepared(connection);
    const prepare = connection.prepare.bind(connection);
    connection.prepare = (sql) => {
      const statement = prepare(sql);
      const { run, all, get } = statement;
      statement.run = (values) => {
        seen(sql);
        return run.call(statement, values);
      };
      statement.all = (values) => {
        seen(sql);
        return all.call(statement, values);
      };
      statement.get = (values) => {
        seen(sql);
        return get.call(statement, values);
      };
      return statement;
    };
  } else {
    const query = connection.query.bind(connection);
    connection.query = (q, ...rest) => {
      seen(typeof q === "string" ? q : q.text);
      return query(q, ...rest);
    };
  }
}

/**
 * Tests: calls `seen` with every statement sent to `db` from now on, as the driver gets it — knex's (with
 * `BEGIN`/`COMMIT`/`ROLLBACK`), MikroORM's and the bound writes sent straight to a transaction's connection
 * (`runInTransaction`); on Postgres with `$n` placeholders. A connection is watched from the next time the
 * pool hands it out.
 */
export function watchStatements(db: Database, seen: (statement: SeenStatement) => void): void {
  const client = db.orm.em.getKnex().client as { acquireConnection(): Promise<Connection> };
  const acquire = client.acquireConnection.bind(client);
  const watched = new WeakSet<Connection>();
  let connections = 0;
  client.acquireConnection = async () => {
    const connection = await acquire();
    if (!watched.has(connection)) {
      watched.add(connection);
      const id = ++connections;
      watch(connection, (sql) => seen({ sql, connection: id }));
    }
    return connection;
  };
}
