import type { CapabilityKind, JsonSchema } from "@latchflow/spec";

/** The plugin API a manifest targets (ARCHITECTURE §3.5). */
export const PLUGIN_API_VERSION = "latchflow.dev/plugins/v1";

/** Host capabilities a plugin may ask for (ARCHITECTURE §6); granted per manifest ∩ admin approval. */
export type PermissionName =
  | "fetch"
  | "mail.send"
  | "bundles.grant"
  | "links.publish"
  | "kv"
  | "secrets"
  | "log"
  | "emit";

/** One permission requested by a plugin. */
export interface PluginPermission {
  name: PermissionName;
  /** For `fetch` only: the egress allowlist (`*` means any public host, and then needs admin approval). */
  hosts?: readonly string[];
  /** True when the host only grants this permission after an admin approves it for the install. */
  requiresApproval?: boolean;
  /** Why the plugin needs it; shown to the admin who installs or approves it. */
  reason: string;
}

/** One capability major as declared in a manifest. */
export interface CapabilityManifest {
  kind: CapabilityKind;
  /** Capability key; built-ins are bare (`email`), third-party keys are `<plugin>/<capability>`. */
  key: string;
  major: number;
  /** JSON Schema (draft 2020-12) of the `with:` block. */
  configSchema: JsonSchema;
  /** JSON Schema of the outputs (actions) or of `trigger.payload` (triggers). */
  outputsSchema: JsonSchema;
  /** One paragraph of markdown. */
  docs: string;
}

/** Resource limits a plugin asks for; the host clamps them to its own maxima. */
export interface PluginLimits {
  memoryMb?: number;
  cpuTimeoutMs?: number;
  wallClockMs?: number;
}

/** The contents of `latchflow-plugin.json` (ARCHITECTURE §3.5). */
export interface PluginManifest {
  name: string;
  version: string;
  apiVersion: typeof PLUGIN_API_VERSION;
  capabilities: readonly CapabilityManifest[];
  permissions: readonly PluginPermission[];
  limits?: PluginLimits;
}
