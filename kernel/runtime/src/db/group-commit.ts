import { createWalSync, type WalSync } from "@latchflow/bus";
import type { SqlOrm } from "./database.js";

type Execute = (
  sql: unknown,
  params?: unknown[],
  method?: string,
  ctx?: unknown,
  logCtx?: unknown,
) => unknown;

const WRITE = /^\s*(insert|update|delete|replace)\b/i;

/** The SQL text of what MikroORM hands its connection: a string or a knex builder. */
function sqlOf(query: unknown): { sql: string; transacting: boolean } {
  if (typeof query === "string") return { sql: query, transacting: false };
  const q = query as { toSQL?: () => { sql: string }; client?: { transacting?: boolean } };
  return { sql: q.toSQL?.().sql ?? "", transacting: q.client?.transacting === true };
}

/**
 * Group commit for a SQLite service database (WAL, `synchronous = NORMAL`): every transaction's commit, and
 * every write made outside a transaction through MikroORM, resolves only once it is on disk, as with
 * `synchronous = FULL`; but the sync runs off the event loop and is shared by every commit made meanwhile (see
 * {@link WalSync}). Writes of `rowsAlone` (straight to the driver: the relay's marks) do not wait.
 */
export function groupCommit(orm: SqlOrm, file: string): WalSync {
  const sync = createWalSync(file);
  orm.em.getEventManager().registerSubscriber({ afterTransactionCommit: () => sync.flush() });
  const conn = orm.em.getDriver().getConnection("write") as unknown as { execute: Execute };
  const execute = conn.execute.bind(conn);
  conn.execute = async (query, params, method, ctx, logCtx) => {
    const result = await execute(query, params, method, ctx, logCtx);
    if (!ctx) {
      const { sql, transacting } = sqlOf(query);
      if (!transacting && WRITE.test(sql)) await sync.flush();
    }
    return result;
  };
  return sync;
}
