import type { PluginHost } from "@latchflow/plugin-host";
import type { PluginManifest, PluginPermission } from "@latchflow/plugin-sdk";
import { limitsOf } from "@latchflow/plugin-sdk/invocation";
import { ErrorCode, LatchflowError } from "@latchflow/runtime";
import type { Database } from "@latchflow/runtime/db";
import type { PluginSource } from "@latchflow/sandbox";
import type { CapabilityCatalog, CapabilityDescriptor } from "@latchflow/spec";
import { usesPrefix } from "@latchflow/spec/naming";
import { PluginApprovalRow, PluginRow } from "./entities.js";

/** One capability the kernel can run, as `uses` names it. */
export interface CapabilityEntry {
  uses: string;
  kind: "trigger" | "action";
  /** name the plugin host knows the code by */
  hostName: string;
  /** `plugin.capabilities[exportName]` in the bundled code */
  exportName: string;
  pluginName: string;
  pluginVersion: string;
  builtin: boolean;
  enabled: boolean;
  descriptor: CapabilityDescriptor;
  permissions: readonly PluginPermission[];
  approvedHosts: readonly string[];
  wallClockMs?: number;
  /** set when `uses` names an older major served by a newer one through its `migrate` */
  migrateFrom?: number;
}

export interface BuiltinPlugin {
  manifest: PluginManifest;
  source: PluginSource;
}

/** `acme/notify@1` → the plugin part of `uses` for an installed package (`@acme/x` → `x`): the naming rule's. */
export { usesPrefix };

/** How long a replica trusts its view of the installed plugins (changes made through another replica). */
const CACHE_MS = 5_000;

/** The export naming the migration function of a capability (added by the SDK's `toSandboxGlobal`). */
export const migrateExport = (exportName: string) => `${exportName}#migrate`;

function entriesOf(
  manifest: PluginManifest,
  opts: {
    hostName: string;
    builtin: boolean;
    enabled: (id: string) => boolean;
    approvedHosts: readonly string[];
  },
): CapabilityEntry[] {
  const out: CapabilityEntry[] = [];
  const prefix = opts.builtin ? "" : `${usesPrefix(manifest.name)}/`;
  for (const cap of manifest.capabilities) {
    const exportName = `${cap.key}@${cap.major}`;
    const base: CapabilityEntry = {
      uses: `${prefix}${exportName}`,
      kind: cap.kind,
      hostName: opts.hostName,
      exportName,
      pluginName: manifest.name,
      pluginVersion: manifest.version,
      builtin: opts.builtin,
      enabled: opts.enabled(exportName),
      descriptor: {
        kind: cap.kind,
        configSchema: cap.configSchema,
        outputsSchema: cap.outputsSchema,
        docs: cap.docs,
      },
      permissions: manifest.permissions,
      approvedHosts: opts.approvedHosts,
      ...(manifest.limits?.wallClockMs ? { wallClockMs: manifest.limits.wallClockMs } : {}),
    };
    out.push(base);
    for (const from of cap.migratesFrom ?? []) {
      if (from >= cap.major || manifest.capabilities.some((c) => c.key === cap.key && c.major === from))
        continue;
      out.push({
        ...base,
        uses: `${prefix}${cap.key}@${from}`,
        migrateFrom: from,
        descriptor: {
          kind: cap.kind,
          configSchema: { type: "object" },
          docs: `Replaced by ${base.uses}: configurations written for major ${from} are migrated when the step runs.`,
          replacedBy: base.uses,
        },
      });
    }
  }
  return out;
}

const parseList = (json: string): string[] => {
  const v: unknown = JSON.parse(json);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
};

/** The sandbox limits of a plugin: its manifest's request, clamped to the kernel's maxima (one implementation). */
export { limitsOf };

/** Host name of an installed plugin's code: unique per tenant, name and version. */
export const installedHostName = (row: { tenant: string; name: string; version: string }) =>
  `${row.tenant}:${row.name}@${row.version}`;

export interface Registry {
  /** Builds and loads the built-ins into the plugin host. */
  start(): Promise<void>;
  entries(tenant: string): Promise<CapabilityEntry[]>;
  /** Enabled capabilities only, as the validator wants them; the same object until something changes. */
  catalog(tenant: string): Promise<CapabilityCatalog>;
  /** Installed but disabled capabilities (the validator names them `capability_disabled`). */
  disabledCatalog(tenant: string): Promise<CapabilityCatalog>;
  /** The enabled capability `uses` names, loaded into the plugin host; else `capability_unavailable`. */
  resolve(tenant: string, uses: string): Promise<CapabilityEntry>;
  invalidate(tenant: string): void;
}

/**
 * Which capabilities exist per tenant: the built-ins (always enabled) and installed plugins (enabled per
 * capability by an admin). Code is loaded into the plugin host lazily, once per host name.
 */
export function createRegistry(deps: {
  db: Database;
  host: PluginHost;
  builtins: () => Promise<BuiltinPlugin[]>;
}): Registry {
  let builtinEntries: CapabilityEntry[] = [];
  const perTenant = new Map<
    string,
    Promise<{ entries: CapabilityEntry[]; catalog: CapabilityCatalog; disabled: CapabilityCatalog }>
  >();
  const loaded = new Map<string, Promise<void>>();

  type TenantState = {
    entries: CapabilityEntry[];
    catalog: CapabilityCatalog;
    disabled: CapabilityCatalog;
    version: string;
  };
  const previous = new Map<string, TenantState>();
  const load = async (tenant: string): Promise<TenantState> => {
    // no `code` here: the bundles are read only when a plugin is loaded into the host
    const rows = await deps.db.em().find(
      PluginRow,
      { tenant },
      {
        orderBy: { name: "asc" },
        fields: ["tenant", "name", "version", "manifest", "enabled", "approvedHosts"],
      },
    );
    const approvals = await deps.db.em().find(PluginApprovalRow, { tenant }, { orderBy: { plugin: "asc" } });
    // unchanged installs keep the same catalog object, so the validator keeps its compiled schemas
    const version = JSON.stringify([
      rows.map((r) => [r.name, r.version, r.enabled, r.approvedHosts, r.manifest]),
      approvals.map((a) => [a.plugin, a.approvedHosts]),
    ]);
    const before = previous.get(tenant);
    if (before?.version === version) return before;
    const approved = new Map(approvals.map((a) => [a.plugin, parseList(a.approvedHosts)]));
    const entries: CapabilityEntry[] = builtinEntries.map((e) => ({
      ...e,
      approvedHosts: approved.get(e.pluginName) ?? [],
    }));
    for (const row of rows) {
      const manifest = JSON.parse(row.manifest) as PluginManifest;
      const enabled = new Set(parseList(row.enabled));
      entries.push(
        ...entriesOf(manifest, {
          hostName: installedHostName(row),
          builtin: false,
          enabled: (id) => enabled.has(id),
          approvedHosts: parseList(row.approvedHosts),
        }),
      );
    }
    const catalog: Record<string, CapabilityDescriptor> = {};
    const disabled: Record<string, CapabilityDescriptor> = {};
    for (const e of entries) (e.enabled ? catalog : disabled)[e.uses] = e.descriptor;
    const state = { entries, catalog: Object.freeze(catalog), disabled: Object.freeze(disabled), version };
    previous.set(tenant, state);
    return state;
  };
  // another kernel replica may have changed the installs: what is cached here lives a few seconds only
  const loadedAt = new Map<string, number>();
  const tenantState = (tenant: string) => {
    let state = perTenant.get(tenant);
    if (!state || Date.now() - (loadedAt.get(tenant) ?? 0) > CACHE_MS) {
      state = load(tenant);
      perTenant.set(tenant, state);
      loadedAt.set(tenant, Date.now());
      state.catch(() => perTenant.delete(tenant));
    }
    return state;
  };

  const ensureLoaded = (tenant: string, entry: CapabilityEntry) => {
    let done = loaded.get(entry.hostName);
    if (!done) {
      done = (async () => {
        const row = await deps.db.em().findOne(PluginRow, {
          tenant,
          name: entry.pluginName,
          version: entry.pluginVersion,
        });
        if (!row) throw new LatchflowError(ErrorCode.NotFound, `Plugin ${entry.pluginName} is not installed`);
        await deps.host.load({
          name: entry.hostName,
          code: row.code,
          limits: limitsOf(JSON.parse(row.manifest) as PluginManifest),
        });
      })();
      loaded.set(entry.hostName, done);
      done.catch(() => loaded.delete(entry.hostName));
    }
    return done;
  };

  return {
    async start() {
      const builtins = await deps.builtins();
      builtinEntries = builtins.flatMap((b) =>
        entriesOf(b.manifest, {
          hostName: b.source.name,
          builtin: true,
          enabled: () => true,
          approvedHosts: [],
        }),
      );
      for (const b of builtins) {
        await deps.host.load(b.source);
        loaded.set(b.source.name, Promise.resolve());
      }
    },
    async entries(tenant) {
      return (await tenantState(tenant)).entries;
    },
    async catalog(tenant) {
      return (await tenantState(tenant)).catalog;
    },
    async disabledCatalog(tenant) {
      return (await tenantState(tenant)).disabled;
    },
    async resolve(tenant, uses) {
      try {
        return await resolveOnce(tenant, uses);
      } catch (err) {
        // installed, enabled, upgraded or removed through another replica since this one cached its view:
        // look again, once, before failing a step for it
        const stale =
          err instanceof LatchflowError &&
          (err.code === ErrorCode.NotFound || err.code === ErrorCode.CapabilityUnavailable);
        if (!stale) throw err;
        perTenant.delete(tenant);
        return resolveOnce(tenant, uses);
      }
    },
    invalidate(tenant) {
      perTenant.delete(tenant);
    },
  };

  async function resolveOnce(tenant: string, uses: string): Promise<CapabilityEntry> {
    const entry = (await tenantState(tenant)).entries.find((e) => e.uses === uses);
    if (!entry?.enabled) {
      throw new LatchflowError(
        ErrorCode.CapabilityUnavailable,
        entry ? `Capability ${uses} is disabled` : `Capability ${uses} is not installed`,
        { details: { uses } },
      );
    }
    if (!entry.builtin) await ensureLoaded(tenant, entry);
    return entry;
  }
}
