import type { FetchInit, FetchResponse, HostMemberTypes, LogLevel } from "./capabilities.js";
import type { Json, JsonObject } from "./json.js";
import type { HostMember } from "./vocabulary.js";

/**
 * The contract plugin code is written against (the SDK's `definePlugin` wraps it).
 *
 * A plugin is ONE bundled JavaScript file (script, not module; no `import`/`require`, no Node APIs) that
 * assigns `globalThis.plugin`:
 *
 * ```js
 * globalThis.plugin = {
 *   capabilities: {
 *     "email@1": { kind: "action", async run(input, host) { await host.mail.send({...}); return { sent: true }; } },
 *   },
 * };
 * ```
 *
 * The file runs again in a fresh context for every invocation: module-level state does not survive
 * between invocations (use `host.kv`). Available globals: the ECMAScript built-ins only, minus
 * `WebAssembly`, `SharedArrayBuffer` and `Atomics`; no timers.
 */
export interface PluginDefinition {
  /** Keyed by `<capability>@<major>`, e.g. `"cron@1"`. */
  capabilities: Record<string, CapabilityDefinition>;
}

export type CapabilityKind = "trigger" | "action";

export interface CapabilityDefinition {
  kind: CapabilityKind;
  /** Receives a copy of the JSON input; returns (or resolves to) JSON. Throwing fails `plugin_error`. */
  run(input: Json, host: PluginHost): Json | Promise<Json>;
}

/**
 * What each member of `host` is inside the sandbox (keys: the vocabulary's members, vocabulary.ts): the host's
 * side of them (`HostMemberTypes`), with `fetch`'s `init` and `log`'s `fields` optional for plugin code.
 */
export type PluginHostMembers = Omit<HostMemberTypes, "fetch" | "log"> & {
  fetch(url: string, init?: FetchInit): Promise<FetchResponse>;
  log(level: LogLevel, message: string, fields?: JsonObject): void;
};

/**
 * What `run` receives as `host`: plain functions that copy JSON in and out. Every member is always
 * present; calling one that the host did not grant throws (and fails the invocation) `capability_denied`.
 * Errors thrown by host functions are `Error`s with a string `code` and a boolean `retryable`.
 */
export type PluginHost = {
  /** Names of the granted host functions, e.g. `["kv.get", "log"]`. */
  readonly granted: readonly string[];
} & { readonly [M in HostMember]: PluginHostMembers[M] };

/** The global the bundled file assigns. */
export const PLUGIN_GLOBAL = "plugin";
