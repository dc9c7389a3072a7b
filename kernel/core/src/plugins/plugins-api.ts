import type { PluginManifest } from "@latchflow/plugin-sdk";
import type { pluginsV1 } from "@latchflow/proto";
import {
  ErrorCode,
  LatchflowError,
  newId,
  notFound,
  type RequestContext,
  validationFailed,
} from "@latchflow/runtime";
import { type Database, emitEvent, type OutboxRelay } from "@latchflow/runtime/db";
import type { PluginSource } from "@latchflow/sandbox";
import type { PipelineDocument } from "@latchflow/spec";
import { pluginNameProblem } from "@latchflow/spec/naming";
import { PipelineRow } from "../pipelines/entities.js";
import { checkApproval, egressAllowlist, manifestHosts } from "./approvals.js";
import { createBuiltinApprovals } from "./builtin-approvals.js";
import { PluginApprovalRow, PluginRow, PluginSecretRow } from "./entities.js";
import { enabledPipelinesUsing, idsServedBy, planUpgrade } from "./lifecycle.js";
import { fetchFromRegistry, integrityOf, readPackage } from "./packages.js";
import { createPluginSecretsApi } from "./plugin-secrets-api.js";
import { createPublisherKeysApi, signatureOfRow, type TrustedKeys, trustedKeys } from "./publisher-keys.js";
import { type BuiltinPlugin, installedHostName, limitsOf, type Registry, usesPrefix } from "./registry.js";
import { judgeSignature, type SignaturePolicy } from "./signature-policy.js";

export interface PluginsApiDeps {
  db: Database;
  relay: OutboxRelay;
  registry: Registry;
  builtins: () => Promise<BuiltinPlugin[]>;
  /** loads the code into the plugin host (compiles it: a syntax error refuses the install) */
  compile: (plugin: PluginSource) => Promise<void>;
  seal: (ctx: RequestContext, context: string, value: string) => Promise<string>;
  /** the registry `installPluginFromRegistry` installs from (LATCHFLOW_PLUGIN_REGISTRY) */
  pluginRegistry: string;
  /** the largest tarball accepted, uploaded or downloaded */
  maxTarballBytes: number;
  /** unsigned or untrusted packages: installed with a warning, or refused (LATCHFLOW_PLUGIN_SIGNATURES) */
  signatures: SignaturePolicy;
  fetch?: typeof fetch;
  now: () => Date;
}

const parseList = (json: string): string[] => JSON.parse(json) as string[];

/** Installed plugins: upload, registry install with integrity, per-capability enablement, secrets. */
export function createPluginsApi(d: PluginsApiDeps) {
  const builtinNames = async () => new Set((await d.builtins()).map((b) => b.manifest.name));

  const find = async (ctx: RequestContext, name: string) => {
    const row = await d.db.em().findOne(PluginRow, { tenant: ctx.tenant, name });
    if (!row) throw notFound("Plugin not found", { plugin: name });
    return row;
  };
  const builtin = createBuiltinApprovals(d);

  /**
   * A built-in by its name (`latchflow-http`), an installed plugin by its name, or a built-in by the
   * capability it provides (`http`).
   */
  const findAny = async (
    ctx: RequestContext,
    name: string,
  ): Promise<{ builtin: BuiltinPlugin } | { row: PluginRow }> => {
    const builtins = await d.builtins();
    const exact = builtins.find((b) => b.manifest.name === name);
    if (exact) return { builtin: exact };
    const row = await d.db.em().findOne(PluginRow, { tenant: ctx.tenant, name });
    if (row) return { row };
    const byKey = builtins.find((b) => b.manifest.capabilities.some((c) => c.key === name));
    if (byKey) return { builtin: byKey };
    throw notFound("Plugin not found", { plugin: name });
  };

  const toProto = (row: PluginRow, keys: TrustedKeys): pluginsV1.Plugin => {
    const manifest = JSON.parse(row.manifest) as PluginManifest;
    const enabled = new Set(parseList(row.enabled));
    return {
      name: row.name,
      version: row.version,
      source: row.source,
      integrity: row.integrity,
      manifestJson: row.manifest,
      capabilities: manifest.capabilities.map((c) => ({
        uses: `${usesPrefix(row.name)}/${c.key}@${c.major}`,
        kind: c.kind,
        enabled: enabled.has(`${c.key}@${c.major}`),
      })),
      requestedHosts: manifestHosts(manifest),
      approvedHosts: parseList(row.approvedHosts),
      disabledInUse: [],
      signature: signatureOfRow(row, keys),
      warnings: [],
      installedAt: row.installedAt,
      updatedAt: row.updatedAt,
    };
  };
  const withTrust = async (ctx: RequestContext, row: PluginRow) =>
    toProto(row, await trustedKeys(d.db, ctx.tenant));

  const install = async (
    ctx: RequestContext,
    tarball: Uint8Array,
    source: string,
    expected: string,
    expectedName?: string,
  ) => {
    if (tarball.length === 0) throw validationFailed("The tarball is empty");
    if (tarball.length > d.maxTarballBytes)
      throw new LatchflowError(
        ErrorCode.PayloadTooLarge,
        `The tarball is at most ${d.maxTarballBytes} bytes`,
      );
    const integrity = integrityOf(tarball);
    if (expected && expected !== integrity) {
      throw new LatchflowError(ErrorCode.IntegrityFailed, "The tarball does not match its integrity", {
        details: { expected, actual: integrity },
      });
    }
    const { manifest, code, signature } = readPackage(tarball, d.maxTarballBytes);
    if (expectedName !== undefined && manifest.name !== expectedName) {
      throw validationFailed(`The package ${expectedName} holds a plugin named ${manifest.name}`);
    }
    if ((await builtinNames()).has(manifest.name))
      throw new LatchflowError(ErrorCode.Conflict, "A built-in plugin has that name");
    // the capability ids were checked by the same rule when the manifest was read (readPackage)
    const badName = pluginNameProblem(manifest.name);
    if (badName !== undefined) throw validationFailed(badName, { field: "name" });
    const prefix = usesPrefix(manifest.name);
    const clash = (await d.db.em().find(PluginRow, { tenant: ctx.tenant }, { fields: ["name"] })).find(
      (r) => r.name !== manifest.name && usesPrefix(r.name) === prefix,
    );
    if (clash) {
      throw new LatchflowError(
        ErrorCode.Conflict,
        `Plugin ${clash.name} already provides ${prefix}/… capabilities (the package name without its scope)`,
        { details: { plugin: clash.name } },
      );
    }
    const keys = await trustedKeys(d.db, ctx.tenant);
    const installed = await d.db.em().findOne(PluginRow, { tenant: ctx.tenant, name: manifest.name });
    const judged = judgeSignature({
      signature,
      publisher: signature.state === "signed" ? keys.get(signature.signed.fingerprint) : undefined,
      policy: d.signatures,
      ...(installed
        ? {
            installed: {
              version: installed.version,
              fingerprint: installed.signerFingerprint ?? null,
              keyId: installed.signerKeyId ?? null,
            },
          }
        : {}),
    });
    if (judged.refusal) {
      await d.db.em().transactional(async (tx) => {
        await emitEvent(
          tx,
          ctx,
          "plugins.plugin.refused",
          { plugin: manifest.name },
          {
            name: manifest.name,
            version: manifest.version,
            integrity,
            source,
            reason: judged.refusal?.message ?? "",
            signature: judged.data,
          },
        );
      });
      d.relay.nudge();
      throw judged.refusal;
    }
    const signer =
      signature.state === "signed"
        ? {
            signerPublicKey: signature.signed.publicKey,
            signerFingerprint: signature.signed.fingerprint,
            signerKeyId: signature.signed.keyId,
            signerName: signature.signed.signer,
          }
        : { signerPublicKey: null, signerFingerprint: null, signerKeyId: null, signerName: null };
    await d.compile({
      name: installedHostName({ tenant: ctx.tenant, name: manifest.name, version: manifest.version }),
      code,
      limits: limitsOf(manifest),
    });
    const now = d.now();
    const { row, upgrade } = await d.db.em().transactional(async (tx) => {
      let row = await tx.findOne(PluginRow, { tenant: ctx.tenant, name: manifest.name });
      let upgrade: pluginsV1.PluginUpgrade | undefined;
      if (row) {
        // an upgrade keeps what the admin enabled (and what takes over an enabled major through migratesFrom) —
        // unless the new version asks for more (a permission or host the admin never saw): then what was enabled
        // waits disabled, and the answer and the audit event say which permissions are new
        const plan = planUpgrade(
          JSON.parse(row.manifest) as PluginManifest,
          manifest,
          new Set(parseList(row.enabled)),
        );
        const uses = (ids: string[]) => ids.map((id) => `${prefix}/${id}`);
        upgrade = {
          fromVersion: row.version,
          newPermissions: plan.newPermissions,
          kept: uses(plan.kept),
          awaitingApproval: uses(plan.awaitingApproval),
          removed: uses(plan.removed),
        };
        Object.assign(row, {
          version: manifest.version,
          source,
          integrity,
          manifest: JSON.stringify(manifest),
          code,
          enabled: JSON.stringify(plan.enabled),
          approvedHosts: JSON.stringify(egressAllowlist(manifest.permissions, parseList(row.approvedHosts))),
          updatedAt: now,
          ...signer,
        });
      } else {
        row = tx.create(PluginRow, {
          id: newId(),
          tenant: ctx.tenant,
          name: manifest.name,
          version: manifest.version,
          source,
          integrity,
          manifest: JSON.stringify(manifest),
          code,
          enabled: "[]",
          approvedHosts: "[]",
          installedAt: now,
          updatedAt: now,
          ...signer,
        });
      }
      await emitEvent(
        tx,
        ctx,
        "plugins.plugin.installed",
        { plugin: manifest.name },
        {
          name: manifest.name,
          version: manifest.version,
          integrity,
          source,
          ...(upgrade
            ? {
                upgradedFrom: upgrade.fromVersion,
                newPermissions: upgrade.newPermissions,
                kept: upgrade.kept,
                awaitingApproval: upgrade.awaitingApproval,
                removed: upgrade.removed,
              }
            : {}),
          signature: judged.data,
          ...(judged.warnings.length > 0 ? { warnings: judged.warnings } : {}),
        },
      );
      return { row, upgrade };
    });
    d.relay.nudge();
    d.registry.invalidate(ctx.tenant);
    return { ...toProto(row, keys), warnings: judged.warnings, ...(upgrade ? { upgrade } : {}) };
  };

  return {
    ...createPublisherKeysApi(d),
    ...createPluginSecretsApi(d, find),
    installPlugin: (req: pluginsV1.InstallPluginRequest, ctx: RequestContext) =>
      install(ctx, req.tarball, "tarball", req.integrity),

    async installPluginFromRegistry(req: pluginsV1.InstallPluginFromRegistryRequest, ctx: RequestContext) {
      const { name, bytes, integrity } = await fetchFromRegistry(
        req.spec,
        d.pluginRegistry,
        d.fetch ?? fetch,
        {
          maxBytes: d.maxTarballBytes,
          timeoutMs: 60_000,
        },
      );
      return install(ctx, bytes, "registry", integrity, name);
    },

    async listPlugins(_req: pluginsV1.ListPluginsRequest, ctx: RequestContext) {
      const rows = await d.db.em().find(PluginRow, { tenant: ctx.tenant }, { orderBy: { name: "asc" } });
      const approvals = await d.db.em().find(PluginApprovalRow, { tenant: ctx.tenant });
      const builtins = (await d.builtins()).map((b) =>
        builtin.toProto(b, approvals.find((a) => a.plugin === b.manifest.name) ?? null),
      );
      const keys = await trustedKeys(d.db, ctx.tenant);
      return { plugins: [...builtins, ...rows.map((r) => toProto(r, keys))] };
    },

    async getPlugin(req: pluginsV1.GetPluginRequest, ctx: RequestContext) {
      const found = await findAny(ctx, req.name);
      return "builtin" in found ? builtin.get(ctx, found.builtin) : withTrust(ctx, found.row);
    },

    async updatePlugin(req: pluginsV1.UpdatePluginRequest, ctx: RequestContext) {
      const found = await findAny(ctx, req.name);
      if ("builtin" in found) return builtin.update(ctx, found.builtin, req);
      const row = found.row;
      const manifest = JSON.parse(row.manifest) as PluginManifest;
      const prefix = `${usesPrefix(row.name)}/`;
      const enabled = new Set(parseList(row.enabled));
      const changes: string[] = [];
      const disabling: string[] = [];
      for (const [uses, on] of Object.entries(req.capabilities)) {
        const id = uses.startsWith(prefix) ? uses.slice(prefix.length) : uses;
        if (!manifest.capabilities.some((c) => `${c.key}@${c.major}` === id)) {
          throw validationFailed(`The plugin has no capability ${uses}`, { field: "capabilities" });
        }
        if (on !== enabled.has(id)) changes.push(`${on ? "enabled" : "disabled"} ${prefix}${id}`);
        if (!on && enabled.has(id)) disabling.push(...idsServedBy(manifest, id).map((x) => `${prefix}${x}`));
        if (on) enabled.add(id);
        else enabled.delete(id);
      }
      // disabling what enabled pipelines use makes their next runs fail: refused, unless forced (then said)
      const inUse = [...(await enabledPipelinesUsing(d.db, ctx.tenant, disabling))].map(
        ([uses, pipelines]) => ({
          uses,
          pipelines,
        }),
      );
      if (inUse.length > 0 && !req.force) {
        const pipelines = [...new Set(inUse.flatMap((u) => u.pipelines))].sort();
        throw new LatchflowError(
          ErrorCode.Conflict,
          `Enabled pipelines use ${inUse.map((u) => u.uses).join(", ")}: ${pipelines.join(", ")}; disable those pipelines first, or send force to disable anyway (their runs then fail with capability_unavailable)`,
          { details: { pipelines, capabilities: inUse } },
        );
      }
      let approved = parseList(row.approvedHosts);
      if (req.setApprovedHosts) {
        approved = checkApproval(manifestHosts(manifest), req.approvedHosts);
        changes.push("approved hosts");
      }
      await d.db.em().transactional(async (tx) => {
        await tx.nativeUpdate(
          PluginRow,
          { id: row.id },
          {
            enabled: JSON.stringify([...enabled]),
            approvedHosts: JSON.stringify(approved),
            updatedAt: d.now(),
          },
        );
        await emitEvent(
          tx,
          ctx,
          "plugins.plugin.updated",
          { plugin: row.name },
          {
            name: row.name,
            changes,
            approvedHosts: approved,
            ...(inUse.length > 0 ? { disabledInUse: inUse } : {}),
          },
        );
      });
      d.relay.nudge();
      d.registry.invalidate(ctx.tenant);
      return { ...(await withTrust(ctx, await find(ctx, row.name))), disabledInUse: inUse };
    },

    async uninstallPlugin(req: pluginsV1.UninstallPluginRequest, ctx: RequestContext) {
      const row = await find(ctx, req.name);
      const prefix = `${usesPrefix(row.name)}/`;
      const pipelines = await d.db.em().find(PipelineRow, { tenant: ctx.tenant });
      const users = pipelines
        .filter((p) => {
          const doc = JSON.parse(p.parsed) as PipelineDocument;
          return [...doc.spec.triggers, ...doc.spec.steps].some((x) => x.uses.startsWith(prefix));
        })
        .map((p) => p.name);
      if (users.length > 0) {
        throw new LatchflowError(ErrorCode.Conflict, "Pipelines still use this plugin", {
          details: { pipelines: users },
        });
      }
      await d.db.em().transactional(async (tx) => {
        await tx.nativeDelete(PluginSecretRow, { tenant: ctx.tenant, plugin: row.name });
        await tx.nativeDelete(PluginRow, { id: row.id });
        await emitEvent(
          tx,
          ctx,
          "plugins.plugin.uninstalled",
          { plugin: row.name },
          { name: row.name, version: row.version },
        );
      });
      d.relay.nudge();
      d.registry.invalidate(ctx.tenant);
      return withTrust(ctx, row);
    },

    async listCapabilities(_req: pluginsV1.ListCapabilitiesRequest, ctx: RequestContext) {
      const entries = await d.registry.entries(ctx.tenant);
      return {
        capabilities: entries.map((e) => ({
          uses: e.uses,
          kind: e.kind,
          plugin: e.pluginName,
          pluginVersion: e.pluginVersion,
          builtin: e.builtin,
          enabled: e.enabled,
          configSchemaJson: JSON.stringify(e.descriptor.configSchema),
          outputsSchemaJson: JSON.stringify(e.descriptor.outputsSchema ?? {}),
          docs: e.descriptor.docs ?? "",
          replacedBy: e.descriptor.replacedBy ?? "",
        })),
      };
    },
  };
}
