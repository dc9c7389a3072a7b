export { type AddressClass, classifyAddress } from "./address.js";
export { HOST_TO_ISOLATE, type HostCall, type HostCallName, ISOLATE_TO_HOST } from "./boundary.js";
export type {
  FetchInit,
  FetchResponse,
  HostCapabilities,
  HostMemberTypes,
  LogLevel,
  MailMessage,
} from "./capabilities.js";
export { createGuardedFetch, type EgressPolicy, pinnedLookup, type VettedTarget, vetUrl } from "./egress.js";
export {
  HostCallError,
  isSandboxError,
  isSandboxErrorCode,
  SandboxError,
  SandboxErrorCode,
  type SandboxErrorJson,
} from "./errors.js";
export { IsolatedVmRuntime, type IsolatedVmRuntimeOptions } from "./isolated-vm-runtime.js";
export type { Json, JsonObject } from "./json.js";
export {
  type CapabilityDefinition,
  type CapabilityKind,
  PLUGIN_GLOBAL,
  type PluginDefinition,
  type PluginHost,
} from "./plugin-api.js";
export {
  DEFAULT_LIMITS,
  type InvokeOptions,
  type LoadedPlugin,
  type PluginSource,
  type PluginStats,
  type SandboxLimits,
  type SandboxRuntime,
} from "./runtime.js";
export {
  HOST_CALL_MODES,
  HOST_CAPABILITIES,
  HOST_MEMBERS,
  type HostCallMode,
  type HostMember,
  isPermissionName,
  type MemberOf,
  memberOf,
  memberOfCall,
  PERMISSION_NAMES,
  type PermissionName,
} from "./vocabulary.js";
