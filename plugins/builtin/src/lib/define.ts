import {
  type CapabilityId,
  type CapabilitySpec,
  definePlugin,
  type Host,
  type Json,
  type Plugin,
  type PluginManifest,
} from "@latchflow/plugin-sdk";

/**
 * Defines a built-in plugin from its manifest (name, version, permissions, limits and the capability's
 * schemas and docs: one source of truth) and the capability's `run`.
 */
export function defineBuiltin(
  manifest: PluginManifest,
  run: (input: Json, host: Host) => Promise<Json>,
): Plugin {
  const [cap, ...rest] = manifest.capabilities;
  if (cap === undefined || rest.length > 0) throw new Error(`${manifest.name}: expected one capability`);
  const id: CapabilityId = `${cap.key}@${cap.major}`;
  const spec: CapabilitySpec = {
    kind: cap.kind,
    configSchema: cap.configSchema,
    outputsSchema: cap.outputsSchema,
    docs: cap.docs,
    run,
  };
  return definePlugin({
    name: manifest.name,
    version: manifest.version,
    permissions: manifest.permissions,
    ...(manifest.limits === undefined ? {} : { limits: manifest.limits }),
    capabilities: { [id]: spec } as Record<CapabilityId, CapabilitySpec>,
  });
}
