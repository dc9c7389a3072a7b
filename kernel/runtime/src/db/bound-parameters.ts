import type { Dialect, SqlOrm } from "./database.js";

type Execute = (
  sql: unknown,
  params?: unknown[],
  method?: string,
  ctx?: unknown,
  logCtx?: unknown,
) => unknown;

/** The parts of MikroORM's SQL connection this file uses (protected in its typings). */
interface SqlConnection {
  execute: Execute;
  ensureConnection(): Promise<void>;
  getKnex(): { raw(sql: string, bindings: unknown[]): { transacting(trx: unknown): unknown } };
  executeQuery<T>(sql: string, cb: () => Promise<T>, context?: unknown): Promise<T>;
  transformRawResult(res: unknown, method: string): unknown;
}

/** A value the driver binds as is (after the dialect's conversion), or undefined when it cannot. */
export function binding(dialect: Dialect, v: unknown): { value: unknown } | undefined {
  if (v === null || v === undefined) return { value: null };
  if (typeof v === "string") return { value: v };
  if (typeof v === "number") return Number.isFinite(v) ? { value: v } : undefined;
  if (typeof v === "boolean") return { value: dialect === "sqlite" ? Number(v) : v };
  // SQLite keeps dates as epoch milliseconds (as MikroORM writes them); pg sends the instant with its offset
  if (v instanceof Date) return { value: dialect === "sqlite" ? v.getTime() : v };
  return undefined;
}

/** `?` placeholders in the text (not `\?`); undefined when it holds `??` (identifiers: MikroORM inlines them). */
function placeholders(sql: string): number | undefined {
  if (sql.includes("??")) return undefined;
  let n = 0;
  for (let i = sql.indexOf("?"); i !== -1; i = sql.indexOf("?", i + 1)) if (sql[i - 1] !== "\\") n++;
  return n;
}

/**
 * MikroORM 6 inlines every value into the statement text it sends (`platform.formatQuery`, then
 * `knex.raw(text)`), so values reach the database as SQL literals and a failed statement's error carries them.
 * This sends the text with its placeholders and the values as bound parameters instead, for every statement
 * whose values are plain (strings, numbers, booleans, dates, null); others (JSON objects, arrays, raw
 * fragments, identifiers) keep MikroORM's own path.
 */
export function bindParameters(orm: SqlOrm, dialect: Dialect): void {
  const conn = orm.em.getDriver().getConnection("write") as unknown as SqlConnection;
  const inline = conn.execute.bind(conn);
  conn.execute = async (sql, params = [], method = "all", ctx, logCtx) => {
    if (typeof sql !== "string" || params.length === 0 || placeholders(sql) !== params.length)
      return inline(sql, params, method, ctx, logCtx);
    const values: unknown[] = [];
    for (const p of params) {
      const b = binding(dialect, p);
      if (!b) return inline(sql, params, method, ctx, logCtx);
      values.push(b.value);
    }
    await conn.ensureConnection();
    return conn.executeQuery(
      sql,
      async () => {
        const query = conn.getKnex().raw(sql, values);
        if (ctx) query.transacting(ctx);
        return conn.transformRawResult(await query, method);
      },
      { query: sql, ...(logCtx as object) },
    );
  };
}
