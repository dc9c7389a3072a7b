import { type EntityManager, sqlTable } from "@latchflow/runtime";

interface Entity {
  meta: { className: string };
}

/** The statement text of an UPDATE of these properties, built once per (schema, entity, properties, condition). */
const texts = new Map<string, string>();

function textOf(tx: EntityManager, entity: Entity, set: string[], where: string[]): string {
  // qualified with the service's schema on Postgres, as MikroORM's own statements are
  const schema = tx.config.get("schema");
  const key = `${schema ?? ""}|${entity.meta.className}|${set.join(",")}|${where.join(",")}`;
  let text = texts.get(key);
  if (!text) {
    const meta = tx.getMetadata().get(entity.meta.className);
    const column = (prop: string) => {
      const field = meta.properties[prop]?.fieldNames[0];
      if (!field) throw new Error(`${entity.meta.className} has no property ${prop}`);
      return field;
    };
    text =
      `UPDATE ${sqlTable(tx, meta.tableName)} SET ${set.map((p) => `"${column(p)}" = ?`).join(", ")} ` +
      `WHERE ${where.map((p) => `"${column(p)}" = ?`).join(" AND ")}`;
    texts.set(key, text);
  }
  return text;
}

/**
 * One `UPDATE … WHERE a = ? AND b = ?` in `tx`'s transaction, with its values bound: the run path's hot
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
  const res = (await tx
    .getConnection()
    .execute(
      textOf(tx, entity, set, conditions),
      [...set.map((p) => fields[p]), ...conditions.map((p) => where[p])],
      "run",
      tx.getTransactionContext(),
    )) as { affectedRows: number };
  return res.affectedRows;
}
