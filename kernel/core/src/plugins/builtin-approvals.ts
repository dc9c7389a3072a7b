import type { pluginsV1 } from "@latchflow/proto";
import { newId, type RequestContext, validationFailed } from "@latchflow/runtime";
import { type Database, emitEvent, type OutboxRelay } from "@latchflow/runtime/db";
import { checkApproval, manifestHosts } from "./approvals.js";
import { PluginApprovalRow } from "./entities.js";
import type { BuiltinPlugin, Registry } from "./registry.js";

/**
 * Built-in plugins as the plugins API shows them: always installed and enabled, but their egress is
 * approved per tenant like any plugin's (stored in `plugin_approvals`), audited as `plugins.plugin.updated`.
 */
export function createBuiltinApprovals(d: {
  db: Database;
  relay: OutboxRelay;
  registry: Registry;
  now: () => Date;
}) {
  const approvalOf = (ctx: RequestContext, b: BuiltinPlugin) =>
    d.db.em().findOne(PluginApprovalRow, { tenant: ctx.tenant, plugin: b.manifest.name });

  const toProto = (b: BuiltinPlugin, approval: PluginApprovalRow | null): pluginsV1.Plugin => ({
    name: b.manifest.name,
    version: b.manifest.version,
    source: "builtin",
    integrity: "",
    manifestJson: JSON.stringify(b.manifest),
    capabilities: b.manifest.capabilities.map((c) => ({
      uses: `${c.key}@${c.major}`,
      kind: c.kind,
      enabled: true,
    })),
    requestedHosts: manifestHosts(b.manifest),
    approvedHosts: approval ? (JSON.parse(approval.approvedHosts) as string[]) : [],
    disabledInUse: [],
    warnings: [],
    installedAt: new Date(0),
    updatedAt: approval?.updatedAt ?? new Date(0),
  });

  return {
    toProto,
    approvalOf,
    async get(ctx: RequestContext, b: BuiltinPlugin) {
      return toProto(b, await approvalOf(ctx, b));
    },

    /** Built-in capabilities cannot be disabled; egress hosts are approved like an installed plugin's. */
    async update(ctx: RequestContext, b: BuiltinPlugin, req: pluginsV1.UpdatePluginRequest) {
      for (const [uses, on] of Object.entries(req.capabilities)) {
        if (!b.manifest.capabilities.some((c) => `${c.key}@${c.major}` === uses)) {
          throw validationFailed(`The plugin has no capability ${uses}`, { field: "capabilities" });
        }
        if (!on)
          throw validationFailed("Built-in capabilities cannot be disabled", { field: "capabilities" });
      }
      if (!req.setApprovedHosts) return toProto(b, await approvalOf(ctx, b));
      const hosts = checkApproval(manifestHosts(b.manifest), req.approvedHosts);
      const name = b.manifest.name;
      const now = d.now();
      await d.db.em().transactional(async (tx) => {
        const row = await tx.findOne(PluginApprovalRow, { tenant: ctx.tenant, plugin: name });
        if (row) Object.assign(row, { approvedHosts: JSON.stringify(hosts), updatedAt: now });
        else
          tx.create(PluginApprovalRow, {
            id: newId(),
            tenant: ctx.tenant,
            plugin: name,
            approvedHosts: JSON.stringify(hosts),
            updatedAt: now,
          });
        await emitEvent(
          tx,
          ctx,
          "plugins.plugin.updated",
          { plugin: name },
          { name, changes: ["approved hosts"], approvedHosts: hosts },
        );
      });
      d.relay.nudge();
      d.registry.invalidate(ctx.tenant);
      return toProto(b, await approvalOf(ctx, b));
    },
  };
}
