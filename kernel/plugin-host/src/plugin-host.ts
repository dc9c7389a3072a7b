import type { HostCapabilities, Json, PluginSource } from "@latchflow/sandbox";

/** pino-compatible subset. */
export interface PluginHostLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface PluginHostOptions {
  logger?: PluginHostLogger;
  /** Restart delay after consecutive child exits: `initial * 2^(n-1)`, capped. Default 100 ms → 5 s. */
  restartBackoffMs?: { initial: number; max: number };
  /**
   * Added to each invocation's `deadlineMs` for the parent-side guard against a hung child. Default 2 s. The
   * guard also adds the largest `cpuTimeoutMs` of the loaded plugins: the child runs plugin code on its own
   * thread (ADR 048), so an answer may wait for one run of another invocation.
   */
  deadlineMarginMs?: number;
  /** How long a fresh child may take to report `ready`. Default 15 s. */
  startTimeoutMs?: number;
  /** A child alive at least this long resets the backoff. Default 10 s. */
  stableAfterMs?: number;
  /**
   * How many invocations of one plugin run at once in the child, each in its own context of the plugin's
   * isolate; more wait in order, and the wait counts against their deadline (ADR 076). Default 32.
   */
  maxConcurrentInvocations?: number;
}

/** Options of one invocation. */
export interface InvokeOptions {
  /** wall-clock budget of the plugin in the sandbox; the supervisor kills a child silent for this + margin */
  deadlineMs: number;
  /** request id of the work this invocation serves (pipeline run, HTTP request): on the child's log lines */
  requestId?: string;
  /** W3C trace context to continue: the invocation is a span under it, and the child logs its traceparent */
  traceparent?: string;
}

export interface PluginHost {
  /** Compiles the plugin in the child (a syntax error rejects `plugin_error`); it is re-sent after restarts. */
  load(plugin: PluginSource): Promise<void>;
  /**
   * Runs `plugin.capabilities[exportName].run(input, host)` in the child. `capabilities` run here, in the
   * parent; the child only forwards calls. Rejects with a `SandboxError` (recognise it by `code`):
   * the sandbox's own codes, `sandbox_crashed` (retryable) when the child died under the call,
   * `sandbox_timeout` when the parent-side deadline killed a hung child.
   */
  invoke(
    plugin: string,
    exportName: string,
    input: Json,
    capabilities: HostCapabilities,
    options: InvokeOptions,
  ): Promise<Json>;
  /** Round trip to the child (forks it if needed); resolves with the latency in ms. */
  ping(timeoutMs?: number): Promise<number>;
  /** The current child's pid (undefined when none runs). For tests and diagnostics. */
  pid(): number | undefined;
  /** Fails in-flight work (`sandbox_crashed`, not retryable), stops the child, resolves once it exited. */
  close(): Promise<void>;
}
