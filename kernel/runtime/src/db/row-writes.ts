import type { EntityManager } from "@mikro-orm/knex";
import { sqlTable } from "./database.js";
import { runInTransaction } from "./in-transaction.js";

interface Entity {
  meta: { className: string };
}

/** Statement texts, built once per (schema, entity, shape). */
const texts = new Map<string, string>();

/** The text for `shape` of `entity` in `tx`'s schema, built by `build(table, column)` the first time. */
function textOf(
  tx: EntityManager,
  entity: Entity,
  shape: string,
  build: (table: string, column: (prop: string) => string, props: string[]) => string,
): string {
  // qualified with the service's schema on Postgres, as MikroORM's own statements are
  const key = `${tx.config.get("schema") ?? ""}|${entity.meta.className}|${shape}`;
  let text = texts.get(key);
  if (!text) {
    const meta = tx.getMetadata().get(entity.meta.className);
    const column = (prop: string) => {
      const field = meta.properties[prop]?.fieldNames[0];
      if (!field) throw new Error(`${entity.meta.className} has no property ${prop}`);
      return field;
    };
    text = build(sqlTable(tx, meta.tableName), column, Object.keys(meta.properties));
    texts.set(key, text);
  }
  return text;
}

/**
 * One `UPDATE … WHERE a = ? AND b = ?` in `tx`'s transaction (straight to its connection), with its values bound: the hot
 * writes without MikroORM's query building (a fixed text per shape, a prepared statement reused on SQLite).
 * Values are plain (strings, numbers, dates, null). Returns the number of rows changed.
 */
export async function updateWhere(
  tx: EntityManager,
  entity: Entity,
  where: Record<string, string>,
  fields: Record<string, unknown>,
): Promise<number> {
  const set = Object.keys(fields).filter((p) => fields[p] !== undefined);
  const conditions = Object.keys(where);
  const text = textOf(
    tx,
    entity,
    `update|${set.join(",")}|${conditions.join(",")}`,
    (table, column) =>
      `UPDATE ${table} SET ${set.map((p) => `"${column(p)}" = ?`).join(", ")} ` +
      `WHERE ${conditions.map((p) => `"${column(p)}" = ?`).join(" AND ")}`,
  );
  return runInTransaction(tx, text, [...set.map((p) => fields[p]), ...conditions.map((p) => where[p])]);
}

/**
 * One `INSERT INTO t (every column) VALUES (…), (…)` of whole rows in `tx`'s transaction, values bound: the
 * new rows without MikroORM's unit of work. Every property of the entity must be set on each row
 * (null where nullable); values are plain, as for {@link updateWhere}.
 */
export async function insertRows(tx: EntityManager, entity: Entity, rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  const props = Object.keys(tx.getMetadata().get(entity.meta.className).properties);
  const text = textOf(tx, entity, `insert|${rows.length}`, (table, column) => {
    const tuple = `(${props.map(() => "?").join(", ")})`;
    return `INSERT INTO ${table} (${props.map((p) => `"${column(p)}"`).join(", ")}) VALUES ${rows.map(() => tuple).join(", ")}`;
  });
  const values: unknown[] = [];
  for (const row of rows) {
    for (const p of props) {
      const v = (row as Record<string, unknown>)[p];
      if (v === undefined) throw new Error(`${entity.meta.className}.${p} is not set`);
      values.push(v);
    }
  }
  await runInTransaction(tx, text, values);
}
