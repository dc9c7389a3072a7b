// The manifest contract is the SDK's (built-ins are written against the same SDK as third-party plugins).
export {
  type CapabilityManifest,
  type PermissionName,
  PLUGIN_API_VERSION,
  type PluginLimits,
  type PluginManifest,
  type PluginPermission,
} from "@latchflow/plugin-sdk";
