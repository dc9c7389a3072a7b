import type { PluginManifest } from "@latchflow/plugin-sdk";
import type { Database } from "@latchflow/runtime/db";
import type { PipelineDocument } from "@latchflow/spec";
import { PipelineRow } from "../pipelines/entities.js";

/**
 * What a plugin's lifecycle does to its capabilities, told truthfully (issue 16): an upgrade keeps what was
 * enabled unless the new version asks for more; disabling what enabled pipelines use needs `force`. Ids here are
 * the plugin's own (`notify@1`); callers put the `uses` prefix in front.
 */

/** One permission (or new fetch hosts) the new version asks for that the old one did not. */
export interface NewPermission {
  name: string;
  hosts: string[];
  reason: string;
}

/** The ids a manifest serves, each with the declared capability serving it (a migrated major: a newer one). */
export function servedIds(manifest: PluginManifest): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of manifest.capabilities) out.set(`${c.key}@${c.major}`, `${c.key}@${c.major}`);
  for (const c of manifest.capabilities) {
    for (const from of c.migratesFrom ?? []) {
      if (!out.has(`${c.key}@${from}`)) out.set(`${c.key}@${from}`, `${c.key}@${c.major}`);
    }
  }
  return out;
}

/** The ids one declared capability serves: its own and the older majors it migrates. */
export function idsServedBy(manifest: PluginManifest, declared: string): string[] {
  return [...servedIds(manifest)].filter(([, by]) => by === declared).map(([id]) => id);
}

/** What `next` asks for that `prev` did not: whole permissions, or (fetch) hosts not asked for before. */
export function newPermissions(prev: PluginManifest, next: PluginManifest): NewPermission[] {
  const out: NewPermission[] = [];
  for (const p of next.permissions) {
    const before = prev.permissions.find((q) => q.name === p.name);
    if (before === undefined) {
      out.push({ name: p.name, hosts: [...(p.hosts ?? [])], reason: p.reason });
      continue;
    }
    const hosts = (p.hosts ?? []).filter((h) => !(before.hosts ?? []).includes(h));
    if (hosts.length > 0) out.push({ name: p.name, hosts, reason: p.reason });
  }
  return out;
}

export interface UpgradePlan {
  /** the declared ids enabled after the upgrade */
  enabled: string[];
  newPermissions: NewPermission[];
  /** ids (as pipelines use them) still enabled */
  kept: string[];
  /** ids that were enabled and now wait disabled for approval of `newPermissions` */
  awaitingApproval: string[];
  /** ids the old version served and the new one does not */
  removed: string[];
}

/**
 * An upgrade from `prev` to `next`, `wasEnabled` being the declared ids enabled before. A declared capability of
 * the new version is enabled when what it serves was enabled (its own id, or an older major it now migrates) —
 * unless the new version asks for more permissions: then every one of them waits disabled for approval.
 */
export function planUpgrade(
  prev: PluginManifest,
  next: PluginManifest,
  wasEnabled: ReadonlySet<string>,
): UpgradePlan {
  const before = servedIds(prev);
  const after = servedIds(next);
  const enabledBefore = new Set([...before].filter(([, by]) => wasEnabled.has(by)).map(([id]) => id));
  const asks = newPermissions(prev, next);
  const carried = next.capabilities
    .map((c) => `${c.key}@${c.major}`)
    .filter((declared) => idsServedBy(next, declared).some((id) => enabledBefore.has(id)));
  const served = (declared: string[]) =>
    [...after].filter(([, by]) => declared.includes(by)).map(([id]) => id);
  const grows = asks.length > 0;
  return {
    enabled: grows ? [] : carried,
    newPermissions: asks,
    kept: grows ? [] : served(carried),
    awaitingApproval: grows ? served(carried) : [],
    removed: [...before.keys()].filter((id) => !after.has(id)),
  };
}

/** The enabled pipelines of `tenant` that use any of `uses`, by `uses` (only those used appear). */
export async function enabledPipelinesUsing(
  db: Database,
  tenant: string,
  uses: readonly string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (uses.length === 0) return out;
  const rows = await db
    .em()
    .find(PipelineRow, { tenant, enabled: true }, { fields: ["name", "parsed"], orderBy: { name: "asc" } });
  for (const row of rows) {
    const doc = JSON.parse(row.parsed) as PipelineDocument;
    const used = new Set([...doc.spec.triggers, ...doc.spec.steps].map((x) => x.uses));
    for (const u of uses) {
      if (used.has(u)) out.set(u, [...(out.get(u) ?? []), row.name]);
    }
  }
  return out;
}
