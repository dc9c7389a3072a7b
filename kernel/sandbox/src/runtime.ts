import type { HostCapabilities } from "./capabilities.js";
import type { Json } from "./json.js";

/** Per-plugin limits; every field has a default (see `DEFAULT_LIMITS`). */
export interface SandboxLimits {
  /** Isolate heap limit in MB (isolated-vm minimum 8). */
  memoryMb: number;
  /** CPU time of one synchronous run inside the isolate (definition, invocation, each resumption). */
  cpuTimeoutMs: number;
  /** Maximum serialized JSON size (UTF-16 code units) of the input and of the return value. */
  maxOutputChars: number;
  /** Maximum serialized size of one log call (message + fields). */
  maxLogChars: number;
  /** Maximum serialized size of one emitted event. */
  maxEventChars: number;
  /** Maximum number of `emit` calls per invocation. */
  maxEmitsPerInvocation: number;
  /** Maximum serialized size of the arguments of any other host call. */
  maxCallArgsChars: number;
}

export const DEFAULT_LIMITS: Readonly<SandboxLimits> = {
  memoryMb: 64,
  cpuTimeoutMs: 1_000,
  maxOutputChars: 1_048_576,
  maxLogChars: 16_384,
  maxEventChars: 65_536,
  maxEmitsPerInvocation: 100,
  maxCallArgsChars: 262_144,
};

/** One plugin to load: a single bundled JS file that assigns `globalThis.plugin` (see plugin-api.ts). */
export interface PluginSource {
  name: string;
  code: string;
  limits?: Partial<SandboxLimits>;
}

export interface InvokeOptions {
  /** Wall-clock deadline of the whole invocation, awaited host calls included. */
  deadlineMs: number;
}

/** Counters for tests and metrics. */
export interface PluginStats {
  /** How many times the plugin code was compiled (once per isolate). */
  compiles: number;
  /** How many isolates were created (1 + recreations after disposal). */
  isolates: number;
  invocations: number;
}

/** A plugin ready to run. Invocations may overlap; each gets a fresh context. */
export interface LoadedPlugin {
  readonly name: string;
  /**
   * Runs `plugin.capabilities[exportName].run(input, host)`. Resolves with the JSON result or rejects
   * with a `SandboxError`.
   */
  invoke(
    exportName: string,
    input: Json,
    capabilities: HostCapabilities,
    options: InvokeOptions,
  ): Promise<Json>;
  stats(): PluginStats;
  /** Frees the isolate; later invocations fail `sandbox_crashed` (not retryable). */
  dispose(): void;
}

/** The runtime behind the plugin host; isolated-vm today, replaceable. */
export interface SandboxRuntime {
  /** Compiles the plugin (a syntax error fails `plugin_error`). */
  load(plugin: PluginSource): Promise<LoadedPlugin>;
}
