import { AbstractSqlDriver, type Configuration, LibSqlKnexDialect } from "@mikro-orm/knex";
import { LibSqlConnection, LibSqlPlatform } from "@mikro-orm/libsql";

/**
 * Settings of every connection to a service's SQLite file. They are per connection (not stored in the file),
 * so they are applied to each one the pool opens, not once after start: a connection opened later would
 * otherwise run with SQLite's defaults (`synchronous = FULL`: an fsync on the event loop at every commit;
 * `busy_timeout = 0`: SQLITE_BUSY at once). `journal_mode = WAL` is stored in the file and set at start.
 */
export const SQLITE_CONNECTION_PRAGMAS = [
  // another process's short write transaction is waited for; the wait is a sleep on this thread, so a second
  // connection to the same file in this process (a replica simulated in one process) stalls the loop at most 1 s
  // before SQLITE_BUSY (its holder cannot finish while the loop sleeps)
  "busy_timeout = 1000",
  "foreign_keys = ON",
  // commits reach the WAL at once (a killed process loses nothing) and the disk in groups (see groupCommit)
  "synchronous = NORMAL",
] as const;

/** Prepared statements kept per connection (MikroORM's SQL varies with `in (?, ?, …)` lists: bounded). */
const STATEMENT_CACHE_SIZE = 256;

interface LibSqlStatement {
  /** the statement returns rows (a SELECT, or a write with RETURNING) */
  readonly reader: boolean;
  all(bindings: unknown[]): unknown;
  run(bindings: unknown[]): { changes: number };
  get(bindings: unknown[]): unknown;
}

/** A connection knex's pool holds to a service's SQLite file. */
export interface SqliteConnection {
  open: boolean;
  memory: boolean;
  prepare(sql: string): LibSqlStatement;
  pragma(source: string): unknown;
  close(): void;
  [statements]?: Map<string, LibSqlStatement>;
}

const statements = Symbol("latchflow.statements");

/** The statement of `sql` on this connection: prepared once, reused while it is among the recent ones. */
export function preparedOn(connection: SqliteConnection, sql: string): LibSqlStatement {
  let cache = connection[statements];
  if (!cache) {
    cache = new Map();
    connection[statements] = cache;
  }
  const hit = cache.get(sql);
  if (hit) {
    // most recently used last: the first key is the one to evict
    cache.delete(sql);
    cache.set(sql, hit);
    return hit;
  }
  const statement = connection.prepare(sql);
  cache.set(sql, statement);
  if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return statement;
}

/** Drops the statements kept for `connection`: each is prepared again at its next use (a test watching them). */
export function forgetPrepared(connection: SqliteConnection): void {
  connection[statements]?.clear();
}

/**
 * MikroORM's libsql dialect, for local files: every connection gets {@link SQLITE_CONNECTION_PRAGMAS}, is
 * kept while open (the stock dialect replaces a connection 10 s after it was opened — meant for remote
 * libsql — and the replacement had none of the settings above), and reuses its prepared statements.
 */
class LocalLibSqlKnexDialect extends LibSqlKnexDialect {
  override async acquireRawConnection(this: LibSqlKnexDialect): Promise<SqliteConnection> {
    const connection = (await super.acquireRawConnection()) as SqliteConnection;
    try {
      for (const pragma of SQLITE_CONNECTION_PRAGMAS) connection.pragma(pragma);
    } catch (err) {
      connection.close();
      throw err;
    }
    return connection;
  }

  override validateConnection(connection: SqliteConnection): boolean {
    return connection.open;
  }

  // biome-ignore lint/suspicious/noExplicitAny: knex's dialect API is untyped (`this: any` in MikroORM's own)
  override async _query(this: any, connection: SqliteConnection, obj: any): Promise<any> {
    if (!obj.sql) throw new Error("The query is empty");
    if (!connection) throw new Error("No connection provided");
    const method = this.getCallMethod(obj) as "all" | "run" | "get";
    const statement = preparedOn(connection, obj.sql);
    const response = statement[method](this._formatBindings(obj.bindings)) as {
      lastInsertRowid?: number;
      changes?: number;
    };
    obj.response = response;
    obj.context = { lastID: response.lastInsertRowid, changes: response.changes };
    return obj;
  }
}

class LocalLibSqlConnection extends LibSqlConnection {
  override createKnex(): void {
    this.client = this.createKnexClient(LocalLibSqlKnexDialect as unknown as string);
    this.connected = true;
  }
}

/** MikroORM's libsql driver with {@link LocalLibSqlKnexDialect}: the driver of services' SQLite files. */
export class LocalLibSqlDriver extends AbstractSqlDriver<LocalLibSqlConnection, LibSqlPlatform> {
  constructor(config: Configuration) {
    super(config, new LibSqlPlatform(), LocalLibSqlConnection, ["knex", "libsql"]);
  }
}
