import { z } from "zod";
import { bodyErrorResponses, ErrorBody, errorResponses, JsonSchemaDocument } from "../common.js";
import { defineOperation } from "../operation.js";
import { Scope } from "../scopes.js";

// Plugins (built-in and installed), their capabilities, egress approvals and write-only secrets.

const tag = "plugins";
const admin = { kind: "user", scope: Scope.PluginsAdmin } as const;

const PackageName = z
  .string()
  .max(214)
  .regex(/^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/, "must be an npm package name");
const NameParams = z.strictObject({ name: PackageName });
const SecretParams = z.strictObject({
  name: PackageName,
  secret: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,99}$/, "letters, digits, _ . - (≤ 100)"),
});

/** What the install operation takes: a tarball, or JSON naming a registry package. */
export const PLUGIN_PACKAGE_TYPES = [
  "application/gzip",
  "application/x-gzip",
  "application/octet-stream",
] as const;
export const InstallPluginFromRegistry = z
  .strictObject({ package: z.string().min(1).max(260).meta({ description: "<name>[@<version>]" }) })
  .meta({ id: "InstallPluginFromRegistry" });

export const Plugin = z
  .object({
    name: z.string(),
    version: z.string(),
    source: z.enum(["builtin", "tarball", "registry"]),
    integrity: z.string(),
    capabilities: z.array(z.object({ uses: z.string(), kind: z.string(), enabled: z.boolean() })),
    requestedHosts: z.array(z.string()),
    approvedHosts: z.array(z.string()),
    manifest: z.unknown().meta({ description: "The plugin's latchflow-plugin.json" }),
    installedAt: z.iso.datetime().nullable().meta({ description: "null for built-ins" }),
    updatedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "Plugin" });
export type Plugin = z.output<typeof Plugin>;

/** What an upgrade did to the capabilities' enabled state, and why (additive: only on install answers). */
export const PluginUpgrade = z
  .object({
    from: z.string().meta({ description: "The version that was installed before" }),
    newPermissions: z
      .array(
        z.object({
          name: z.string(),
          hosts: z.array(z.string()).meta({ description: "fetch: the hosts not asked for before" }),
          reason: z.string(),
        }),
      )
      .meta({
        description:
          "What the new version asks for that the old one did not; when not empty, the capabilities that were enabled wait disabled in awaitingApproval",
      }),
    kept: z.array(z.string()).meta({ description: "`uses` of capabilities still enabled" }),
    awaitingApproval: z.array(z.string()).meta({
      description:
        "`uses` of capabilities that were enabled and wait disabled until an admin approves the new permissions by enabling them",
    }),
    removed: z
      .array(z.string())
      .meta({ description: "`uses` of capabilities the new version no longer has" }),
  })
  .meta({ id: "PluginUpgrade" });
export type PluginUpgrade = z.output<typeof PluginUpgrade>;

export const InstalledPlugin = Plugin.extend({
  upgrade: PluginUpgrade.optional().meta({ description: "Present when an installed plugin was upgraded" }),
}).meta({ id: "InstalledPlugin" });
export type InstalledPlugin = z.output<typeof InstalledPlugin>;

/** A capability and the enabled pipelines that use it. */
export const CapabilityInUse = z
  .object({ uses: z.string(), pipelines: z.array(z.string()) })
  .meta({ id: "CapabilityInUse" });
export type CapabilityInUse = z.output<typeof CapabilityInUse>;

export const UpdatedPlugin = Plugin.extend({
  disabledInUse: z.array(CapabilityInUse).optional().meta({
    description:
      "With force: the capabilities disabled while enabled pipelines use them; those pipelines' runs fail with capability_unavailable",
  }),
}).meta({ id: "UpdatedPlugin" });
export type UpdatedPlugin = z.output<typeof UpdatedPlugin>;

export const Capability = z
  .object({
    uses: z.string().meta({ description: "What a pipeline writes in `uses:`, e.g. `email@1`" }),
    kind: z.enum(["trigger", "action"]),
    plugin: z.string(),
    pluginVersion: z.string(),
    builtin: z.boolean(),
    enabled: z.boolean(),
    configSchema: JsonSchemaDocument,
    outputsSchema: JsonSchemaDocument,
    docs: z.string(),
    replacedBy: z.string().optional().meta({
      description:
        "Set when this major is deprecated: it is served only through the `migrate` of the newer major named here (e.g. `acme/sms@2`), which converts the old `with:` when a step runs",
    }),
  })
  .meta({ id: "Capability" });
export type Capability = z.output<typeof Capability>;

export const PluginSecret = z
  .object({ plugin: z.string(), name: z.string(), updatedAt: z.iso.datetime().nullable() })
  .meta({ id: "PluginSecret", description: "A secret's name; values never come back" });
export type PluginSecret = z.output<typeof PluginSecret>;

const notFound = { 404: { description: "No such plugin", schema: ErrorBody } } as const;

export const installPlugin = defineOperation({
  method: "post",
  path: "/api/v1/plugins",
  operationId: "installPlugin",
  summary:
    'Install or upgrade a plugin: a tarball from `latchflow-plugin pack` (application/gzip), or JSON `{ package: "name@version" }` from the configured plugin registry (`LATCHFLOW_PLUGIN_REGISTRY`; without a version its `latest` dist-tag; the sha512 `dist.integrity` it states is verified, ADR 041). A new plugin\'s capabilities start disabled; an upgrade keeps them enabled unless the new version asks for more permissions (then `upgrade` says which, and those capabilities wait disabled for approval). Audited as plugins.plugin.installed.',
  description: `Send the tarball as ${PLUGIN_PACKAGE_TYPES.join(", ")} (optionally with its sha512 in X-Latchflow-Integrity), or application/json InstallPluginFromRegistry.`,
  tag,
  access: admin,
  bodyTypes: ["binary"],
  responses: {
    201: { description: "Installed (or upgraded: see upgrade)", schema: InstalledPlugin },
    ...errorResponses,
    403: { description: "Not allowed, or the registry's tarball URL is refused", schema: ErrorBody },
    404: { description: "No such package or version in the registry", schema: ErrorBody },
    409: {
      description:
        "A built-in plugin has that name, or another plugin has the same name without its scope (its `uses` prefix)",
      schema: ErrorBody,
    },
    413: { description: "The tarball (or the registry's document) is too large", schema: ErrorBody },
    415: { description: "Neither a tarball nor JSON", schema: ErrorBody },
    422: {
      description:
        "Not a valid plugin package (e.g. a capability or plugin name that breaks the capability naming rule)",
      schema: ErrorBody,
    },
    500: {
      description: "The tarball does not match its integrity (integrity_failed)",
      schema: ErrorBody,
    },
    503: {
      description: "The registry is unreachable, redirected, or answered nonsense",
      schema: ErrorBody,
    },
  },
});

export const listPlugins = defineOperation({
  method: "get",
  path: "/api/v1/plugins",
  operationId: "listPlugins",
  summary: "Built-in and installed plugins",
  tag,
  access: admin,
  responses: {
    200: { description: "Plugins", schema: z.object({ items: z.array(Plugin) }) },
    ...errorResponses,
  },
});

export const getPlugin = defineOperation({
  method: "get",
  path: "/api/v1/plugins/:name",
  operationId: "getPlugin",
  summary:
    "One plugin, built-in (by name, e.g. `latchflow-http`, or by capability, e.g. `http`) or installed, with its capabilities, requested and approved egress hosts",
  tag,
  access: admin,
  params: NameParams,
  responses: { 200: { description: "The plugin", schema: Plugin }, ...notFound, ...errorResponses },
});

export const updatePlugin = defineOperation({
  method: "patch",
  path: "/api/v1/plugins/:name",
  operationId: "updatePlugin",
  summary:
    "Enable or disable capabilities (disabling one that enabled pipelines use is refused unless `force`); approve egress hosts (concrete hosts the manifest asks for; `*` asks for any). Built-ins too: with no approved host, a plugin's `fetch` (http@1's call) is refused. Audited as plugins.plugin.updated.",
  tag,
  access: admin,
  params: NameParams,
  body: z
    .strictObject({
      capabilities: z.record(z.string().max(300), z.boolean()).optional(),
      approvedHosts: z.array(z.string().min(1).max(253)).max(100).optional(),
      force: z.boolean().optional().meta({
        description:
          "Disable capabilities even though enabled pipelines use them (the answer's disabledInUse names them)",
      }),
    })
    .meta({ id: "UpdatePlugin" }),
  responses: {
    200: { description: "Updated", schema: UpdatedPlugin },
    ...notFound,
    ...errorResponses,
    409: {
      description:
        "Disabling capabilities that enabled pipelines use (error.details.pipelines, error.details.capabilities: each CapabilityInUse); send force: true to disable them anyway",
      schema: ErrorBody,
    },
    422: { description: "No such capability, or a host the manifest does not ask for", schema: ErrorBody },
    ...bodyErrorResponses,
  },
});

export const uninstallPlugin = defineOperation({
  method: "delete",
  path: "/api/v1/plugins/:name",
  operationId: "uninstallPlugin",
  summary: "Uninstall a plugin (refused while a pipeline uses it); its secrets are deleted",
  tag,
  access: admin,
  params: NameParams,
  responses: {
    200: { description: "Uninstalled", schema: Plugin },
    409: { description: "Pipelines still use it", schema: ErrorBody },
    ...notFound,
    ...errorResponses,
  },
});

export const listCapabilities = defineOperation({
  method: "get",
  path: "/api/v1/capabilities",
  operationId: "listCapabilities",
  summary: "Every capability with its config schema and docs (the editor's completion source)",
  tag,
  access: { kind: "user", scope: Scope.PipelinesWrite },
  responses: {
    200: { description: "Capabilities", schema: z.object({ items: z.array(Capability) }) },
    ...errorResponses,
  },
});

export const listPluginSecrets = defineOperation({
  method: "get",
  path: "/api/v1/plugins/:name/secrets",
  operationId: "listPluginSecrets",
  summary: "Names of a plugin's secrets (values never come back)",
  tag,
  access: admin,
  params: NameParams,
  responses: {
    200: { description: "Secret names", schema: z.object({ items: z.array(PluginSecret) }) },
    ...errorResponses,
  },
});

export const setPluginSecret = defineOperation({
  method: "put",
  path: "/api/v1/plugins/:name/secrets/:secret",
  operationId: "setPluginSecret",
  summary: "Set a plugin secret (sealed with the master key; write-only)",
  tag,
  access: admin,
  params: SecretParams,
  body: z.strictObject({ value: z.string().min(1).max(16_384) }).meta({ id: "SetPluginSecret" }),
  responses: {
    200: { description: "Stored", schema: PluginSecret },
    ...notFound,
    ...errorResponses,
    ...bodyErrorResponses,
  },
});

export const deletePluginSecret = defineOperation({
  method: "delete",
  path: "/api/v1/plugins/:name/secrets/:secret",
  operationId: "deletePluginSecret",
  summary: "Delete a plugin secret",
  tag,
  access: admin,
  params: SecretParams,
  responses: {
    200: { description: "Deleted", schema: PluginSecret },
    404: { description: "No such secret", schema: ErrorBody },
    ...errorResponses,
  },
});
