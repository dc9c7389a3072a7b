import type { pluginsV1 } from "@latchflow/proto";
import { newId, notFound, type RequestContext, validationFailed } from "@latchflow/runtime";
import { type Database, emitEvent, type OutboxRelay } from "@latchflow/runtime/db";
import { SECRET_NAME_PATTERN } from "@latchflow/spec";
import { PluginSecretRow } from "./entities.js";
import type { BuiltinPlugin } from "./registry.js";

const SECRET_NAME = new RegExp(SECRET_NAME_PATTERN);

/** The context a plugin secret is sealed under: a sealed value opens only as the secret it was set as. */
export const secretContext = (tenant: string, plugin: string, name: string) =>
  `plugin-secret:${tenant}/${plugin}/${name}`;

export interface PluginSecretsApiDeps {
  db: Database;
  relay: OutboxRelay;
  builtins: () => Promise<BuiltinPlugin[]>;
  seal: (ctx: RequestContext, context: string, value: string) => Promise<string>;
  now: () => Date;
}

/**
 * A plugin's secrets (set, delete, list names; values are never returned), for built-ins and installed plugins.
 * `findInstalled` throws not-found for a plugin that is not installed.
 */
export function createPluginSecretsApi(
  d: PluginSecretsApiDeps,
  findInstalled: (ctx: RequestContext, name: string) => Promise<unknown>,
) {
  return {
    async setPluginSecret(req: pluginsV1.SetPluginSecretRequest, ctx: RequestContext) {
      const builtins = await d.builtins();
      if (!builtins.some((b) => b.manifest.name === req.plugin)) await findInstalled(ctx, req.plugin);
      if (!SECRET_NAME.test(req.name))
        throw validationFailed("name: letters, digits, _ . - (≤ 100)", { field: "name" });
      if (req.value.length === 0 || req.value.length > 16_384)
        throw validationFailed("value: 1 to 16384 characters");
      const sealed = await d.seal(ctx, secretContext(ctx.tenant, req.plugin, req.name), req.value);
      const now = d.now();
      await d.db.em().transactional(async (tx) => {
        const row = await tx.findOne(PluginSecretRow, {
          tenant: ctx.tenant,
          plugin: req.plugin,
          name: req.name,
        });
        if (row) Object.assign(row, { sealed, updatedAt: now });
        else
          tx.create(PluginSecretRow, {
            id: newId(),
            tenant: ctx.tenant,
            plugin: req.plugin,
            name: req.name,
            sealed,
            updatedAt: now,
          });
        await emitEvent(
          tx,
          ctx,
          "plugins.secret.set",
          { plugin: req.plugin },
          { plugin: req.plugin, secret: req.name },
        );
      });
      d.relay.nudge();
      return { plugin: req.plugin, name: req.name, updatedAt: now };
    },

    async deletePluginSecret(req: pluginsV1.DeletePluginSecretRequest, ctx: RequestContext) {
      const row = await d.db
        .em()
        .findOne(PluginSecretRow, { tenant: ctx.tenant, plugin: req.plugin, name: req.name });
      if (!row) throw notFound("Secret not found", { plugin: req.plugin, name: req.name });
      await d.db.em().transactional(async (tx) => {
        await tx.nativeDelete(PluginSecretRow, { id: row.id });
        await emitEvent(
          tx,
          ctx,
          "plugins.secret.deleted",
          { plugin: req.plugin },
          { plugin: req.plugin, secret: req.name },
        );
      });
      d.relay.nudge();
      return { plugin: row.plugin, name: row.name, updatedAt: row.updatedAt };
    },

    async listPluginSecrets(req: pluginsV1.ListPluginSecretsRequest, ctx: RequestContext) {
      const rows = await d.db
        .em()
        .find(PluginSecretRow, { tenant: ctx.tenant, plugin: req.plugin }, { orderBy: { name: "asc" } });
      return { secrets: rows.map((r) => ({ plugin: r.plugin, name: r.name, updatedAt: r.updatedAt })) };
    },
  };
}
