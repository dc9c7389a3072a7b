import { AsyncLocalStorage } from "node:async_hooks";
import { createWalSync, type WalSync } from "@latchflow/bus";
import type { SqlOrm } from "./database.js";

type Execute = (
  sql: unknown,
  params?: unknown[],
  method?: string,
  ctx?: unknown,
  logCtx?: unknown,
) => unknown;

const withoutDiskWait = new AsyncLocalStorage<true>();

/**
 * Runs writes made outside a transaction that may be lost in a power cut without harm (they are redone:
 * the outbox relay marking published rows sent, a re-publish being deduplicated) without waiting for the
 * disk. They reach the WAL at once, and the disk with the next sync of the file.
 */
export function withoutDurableWait<T>(fn: () => Promise<T>): Promise<T> {
  return withoutDiskWait.run(true, fn);
}

const WRITE = /^\s*(insert|update|delete|replace)\b/i;

/** The SQL text of what MikroORM hands its connection: a string or a knex builder. */
function sqlOf(query: unknown): { sql: string; transacting: boolean } {
  if (typeof query === "string") return { sql: query, transacting: false };
  const q = query as { toSQL?: () => { sql: string }; client?: { transacting?: boolean } };
  return { sql: q.toSQL?.().sql ?? "", transacting: q.client?.transacting === true };
}

/**
 * Group commit for a SQLite service database (WAL, `synchronous = NORMAL`): every transaction's commit, and
 * every write made outside a transaction, resolves only once it is on disk, as with `synchronous = FULL`;
 * but the sync runs off the event loop and is shared by every commit made meanwhile (see {@link WalSync}).
 */
export function groupCommit(orm: SqlOrm, file: string): WalSync {
  const sync = createWalSync(file);
  orm.em.getEventManager().registerSubscriber({ afterTransactionCommit: () => sync.flush() });
  const conn = orm.em.getDriver().getConnection("write") as unknown as { execute: Execute };
  const execute = conn.execute.bind(conn);
  conn.execute = async (query, params, method, ctx, logCtx) => {
    const result = await execute(query, params, method, ctx, logCtx);
    if (!ctx && !withoutDiskWait.getStore()) {
      const { sql, transacting } = sqlOf(query);
      if (!transacting && WRITE.test(sql)) await sync.flush();
    }
    return result;
  };
  return sync;
}
