export { type CapabilityForwarder, forwardingCapabilities } from "./child-capabilities.js";
export { dispatchCapabilityCall, grantedNames } from "./dispatch.js";
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
export {
  backoffDelay,
  createPluginHost,
  type InvokeOptions,
  type PluginHost,
  type PluginHostLogger,
  type PluginHostOptions,
} from "./supervisor.js";
