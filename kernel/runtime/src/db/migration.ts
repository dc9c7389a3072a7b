import type { Constructor } from "@mikro-orm/core";
import type { Knex } from "@mikro-orm/knex";
import { Migration } from "@mikro-orm/migrations";

export interface MigrationTools {
  knex: Knex;
  /** a table name qualified with the service's schema where there is one (for foreign keys) */
  table(name: string): string;
}

/** What a portable migration may use: knex's schema builder, already scoped to the service's schema. */
export type SchemaChange = (schema: Knex.SchemaBuilder, tools: MigrationTools) => Knex.SchemaBuilder;

/**
 * Defines a migration with knex's schema builder, so one definition yields correct DDL on SQLite and
 * PostgreSQL. The returned entry goes in a service's `migrations` list.
 */
export function defineMigration(
  name: string,
  change: SchemaChange,
): { name: string; class: Constructor<Migration> } {
  class PortableMigration extends Migration {
    override async up(): Promise<void> {
      const knex = this.getKnex();
      const schemaName = this.config.get("schema");
      const table = (name: string) => (schemaName ? `${schemaName}.${name}` : name);
      const builder = change(schemaName ? knex.schema.withSchema(schemaName) : knex.schema, { knex, table });
      for (const statement of builder.toSQL()) {
        this.addSql(knex.raw(statement.sql, statement.bindings ?? []));
      }
    }
  }
  Object.defineProperty(PortableMigration, "name", { value: name });
  return { name, class: PortableMigration };
}
