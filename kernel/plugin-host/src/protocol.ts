/**
 * THE kernel (parent) ⇄ plugin host (child) protocol: every message over the IPC channel of
 * `child_process.fork(..., { serialization: "advanced" })` is listed in this file.
 *
 * Parent → child (`ParentMessage`):
 *   load               { id, plugin: { name, code, limits? } }          → load_result
 *   invoke             { id, plugin, exportName, inputJson, granted, deadlineMs, trace? } → invoke_result
 *   capability_result  { callId, ok, valueJson | error }                (answers capability_call)
 *   ping               { id }                                           → pong
 *
 * Child → parent (`ChildMessage`):
 *   ready              {}                                               (listening; sent once)
 *   load_result        { id, ok, error? }
 *   invoke_result      { id, ok, valueJson | error, log }                (log: the child's line about it)
 *   capability_call    { callId, invocationId, name, argsJson }         → capability_result
 *   capability_notify  { invocationId, name, argsJson }                 (sync `log`/`emit`; no answer)
 *   log                { level, message, fields }                       (the child's own log line; no answer)
 *   pong               { id }
 *
 * Host capabilities run in the PARENT; the child only forwards calls. Values cross as JSON text
 * (copied by construction); errors cross as `SandboxErrorJson` and are recognised by `code`.
 */
import type { HostCallName, HostMember, SandboxErrorJson, SandboxLimits } from "@latchflow/sandbox";
import { HOST_MEMBERS } from "@latchflow/sandbox/vocabulary";

/** A member of `HostCapabilities` granted to one invocation ("kv", "mail", "log", …): the vocabulary's. */
export type CapabilityName = HostMember;

/** Every member, from the sandbox's vocabulary table. */
export const CAPABILITY_NAMES: readonly CapabilityName[] = HOST_MEMBERS;

/** What the plugin sees when a host call fails: a platform error code, not necessarily a sandbox one. */
export interface CallErrorJson {
  code: string;
  message: string;
  retryable: boolean;
}

// ---- parent → child ------------------------------------------------------------------------------

export interface LoadMessage {
  type: "load";
  id: number;
  plugin: { name: string; code: string; limits?: Partial<SandboxLimits> };
}

export interface InvokeMessage {
  type: "invoke";
  id: number;
  plugin: string;
  exportName: string;
  inputJson: string;
  /** HostCapabilities members this invocation may call; the child builds forwarding stubs for these only. */
  granted: CapabilityName[];
  deadlineMs: number;
  /** the request this invocation serves, for the child's log lines */
  trace?: InvocationTrace;
}

/** Correlation of one invocation: the request id and W3C trace context it runs under. */
export interface InvocationTrace {
  requestId?: string;
  traceparent?: string;
}

export type CapabilityResultMessage =
  | { type: "capability_result"; callId: number; ok: true; valueJson: string }
  | { type: "capability_result"; callId: number; ok: false; error: CallErrorJson };

export interface PingMessage {
  type: "ping";
  id: number;
}

export type ParentMessage = LoadMessage | InvokeMessage | CapabilityResultMessage | PingMessage;

// ---- child → parent ------------------------------------------------------------------------------

export interface ReadyMessage {
  type: "ready";
}

export type LoadResultMessage =
  | { type: "load_result"; id: number; ok: true }
  | { type: "load_result"; id: number; ok: false; error: SandboxErrorJson };

/**
 * The child's line about the invocation ("finished" / "failed") rides on its result: one message per
 * invocation instead of two (ADR 038).
 */
export type InvokeResultMessage =
  | { type: "invoke_result"; id: number; ok: true; valueJson: string; log: InvocationLog }
  | { type: "invoke_result"; id: number; ok: false; error: SandboxErrorJson; log: InvocationLog };

export type InvocationLog = Omit<LogMessage, "type">;

export interface CapabilityCallMessage {
  type: "capability_call";
  callId: number;
  invocationId: number;
  name: HostCallName;
  /** JSON array of the arguments. */
  argsJson: string;
}

export interface CapabilityNotifyMessage {
  type: "capability_notify";
  invocationId: number;
  name: HostCallName;
  argsJson: string;
}

export interface PongMessage {
  type: "pong";
  id: number;
}

/** The child has no log sink of its own: its lines go through the parent's logger. */
export interface LogMessage {
  type: "log";
  level: "info" | "warn" | "error";
  message: string;
  fields: Record<string, unknown>;
}

export type ChildMessage =
  | ReadyMessage
  | LoadResultMessage
  | InvokeResultMessage
  | CapabilityCallMessage
  | CapabilityNotifyMessage
  | LogMessage
  | PongMessage;

const PARENT_TYPES = new Set<string>(["load", "invoke", "capability_result", "ping"]);
const CHILD_TYPES = new Set<string>([
  "ready",
  "load_result",
  "invoke_result",
  "capability_call",
  "capability_notify",
  "log",
  "pong",
]);

function typed(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const type = (value as { type?: unknown }).type;
  return typeof type === "string" ? type : undefined;
}

/** Shape check on receipt (type tag only; fields are produced by the other half of this package). */
export function isParentMessage(value: unknown): value is ParentMessage {
  const type = typed(value);
  return type !== undefined && PARENT_TYPES.has(type);
}

export function isChildMessage(value: unknown): value is ChildMessage {
  const type = typed(value);
  return type !== undefined && CHILD_TYPES.has(type);
}

/** A host call's failure as the plugin sees it; messages of untyped host errors stay hidden. */
export function toCallError(err: unknown): CallErrorJson {
  if (typeof err === "object" && err !== null && typeof (err as { code?: unknown }).code === "string") {
    const e = err as { code: string; message?: unknown; retryable?: unknown };
    return { code: e.code, message: String(e.message ?? e.code), retryable: e.retryable === true };
  }
  return { code: "internal", message: "host call failed", retryable: false };
}
