export { type CapabilityForwarder, forwardingCapabilities } from "./child-capabilities.js";
export { dispatchCapabilityCall, grantedNames } from "./dispatch.js";
export type { InvokeOptions, PluginHost, PluginHostLogger, PluginHostOptions } from "./plugin-host.js";
export {
  CAPABILITY_NAMES,
  type CallErrorJson,
  type CapabilityCallMessage,
  type CapabilityName,
  type CapabilityNotifyMessage,
  type CapabilityResultMessage,
  type ChildMessage,
  type InvocationTrace,
  type InvokeMessage,
  type InvokeResultMessage,
  isChildMessage,
  isParentMessage,
  type LoadMessage,
  type LoadResultMessage,
  type LogMessage,
  type ParentMessage,
  type PingMessage,
  type PongMessage,
  type ReadyMessage,
} from "./protocol.js";
export { backoffDelay, createPluginHost } from "./supervisor.js";
