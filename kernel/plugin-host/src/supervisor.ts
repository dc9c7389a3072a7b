import {
  contextFromTraceparent,
  currentTraceparent,
  sandboxInvocationsTotal,
  sandboxKillsTotal,
  spansRecorded,
  withSpan,
} from "@latchflow/runtime";
import {
  DEFAULT_LIMITS,
  type HostCapabilities,
  type Json,
  type PluginSource,
  SandboxError,
  SandboxErrorCode,
  type SandboxErrorJson,
} from "@latchflow/sandbox";
import { childScript } from "./child-script.js";
import { dispatchCapabilityCall, grantedNames } from "./dispatch.js";
import { failAll, forkGeneration, type Generation } from "./generation.js";
import type { InvokeOptions, PluginHost, PluginHostLogger, PluginHostOptions } from "./plugin-host.js";
import {
  type CapabilityCallMessage,
  type CapabilityNotifyMessage,
  type ChildMessage,
  type InvocationLog,
  type InvocationTrace,
  isChildMessage,
  type ParentMessage,
} from "./protocol.js";

const NOOP_LOGGER: PluginHostLogger = { info() {}, warn() {}, error() {} };

/** A sandbox error code that means the isolate was killed (disposed), as a kill reason. */
const ISOLATE_KILLS: Partial<Record<string, string>> = {
  [SandboxErrorCode.Timeout]: "timeout",
  [SandboxErrorCode.Memory]: "memory",
};

export function backoffDelay(failures: number, initial: number, max: number): number {
  if (failures <= 0) return 0;
  return Math.min(max, initial * 2 ** Math.min(failures - 1, 30));
}

/** The outcome label of a failed invocation: its error's code, else `sandbox_crashed`. */
function errorCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : SandboxErrorCode.Crashed;
}

function sandboxError(e: SandboxErrorJson): SandboxError {
  return new SandboxError(e.code, e.message, { retryable: e.retryable, details: e.details });
}

class Supervisor implements PluginHost {
  private readonly logger: PluginHostLogger;
  private readonly backoff: { initial: number; max: number };
  private readonly margin: number;
  private readonly startTimeout: number;
  private readonly stableAfter: number;
  /** the child's command-line arguments (host-main.ts reads them) */
  private readonly childArgs: string[];
  /** Successfully loaded plugins, re-sent to every new child. */
  private readonly plugins = new Map<string, PluginSource>();
  private current: Generation | undefined;
  private starting: Promise<Generation> | undefined;
  private failures = 0;
  private notBefore = 0;
  private nextId = 1;
  private closed = false;
  private wake: (() => void) | undefined;
  private warnedFallback = false;

  constructor(options: PluginHostOptions) {
    this.logger = options.logger ?? NOOP_LOGGER;
    this.backoff = options.restartBackoffMs ?? { initial: 100, max: 5_000 };
    this.margin = options.deadlineMarginMs ?? 2_000;
    this.startTimeout = options.startTimeoutMs ?? 15_000;
    this.stableAfter = options.stableAfterMs ?? 10_000;
    this.childArgs =
      options.maxConcurrentInvocations === undefined
        ? []
        : [`--max-concurrent-invocations=${options.maxConcurrentInvocations}`];
  }

  pid(): number | undefined {
    return this.current?.exited === false ? this.current.proc.pid : undefined;
  }

  async load(plugin: PluginSource): Promise<void> {
    const source: PluginSource = { name: plugin.name, code: plugin.code };
    if (plugin.limits !== undefined) source.limits = { ...plugin.limits };
    const gen = await this.child();
    const id = this.nextId++;
    await new Promise<void>((resolve, reject) => {
      gen.loads.set(id, { resolve, reject });
      this.send(gen, { type: "load", id, plugin: source });
    });
    this.plugins.set(source.name, source);
  }

  invoke(
    plugin: string,
    exportName: string,
    input: Json,
    capabilities: HostCapabilities,
    options: InvokeOptions,
  ): Promise<Json> {
    if (!spansRecorded()) {
      // no span would be recorded: it would only pass the caller's trace context on, which this does (ADR 051)
      const traceparent = options.traceparent ?? currentTraceparent();
      return this.counted(plugin, exportName, input, capabilities, options, traceparent);
    }
    return withSpan(
      `plugin ${plugin} ${exportName}`,
      {
        ...(options.traceparent ? { parent: contextFromTraceparent(options.traceparent) } : {}),
        attributes: {
          "latchflow.plugin": plugin,
          "latchflow.plugin.export": exportName,
          ...(options.requestId ? { "latchflow.request_id": options.requestId } : {}),
        },
      },
      async (span) => {
        const traceparent = currentTraceparent() ?? options.traceparent;
        try {
          return await this.counted(plugin, exportName, input, capabilities, options, traceparent);
        } catch (err) {
          span.setAttribute("latchflow.error_code", errorCode(err));
          throw err;
        }
      },
    );
  }

  /** One invocation, counted by outcome in `sandboxInvocationsTotal`. */
  private async counted(
    plugin: string,
    exportName: string,
    input: Json,
    capabilities: HostCapabilities,
    options: InvokeOptions,
    traceparent: string | undefined,
  ): Promise<Json> {
    const trace: InvocationTrace = {
      ...(options.requestId ? { requestId: options.requestId } : {}),
      ...(traceparent ? { traceparent } : {}),
    };
    try {
      const value = await this.run(plugin, exportName, input, capabilities, options.deadlineMs, trace);
      sandboxInvocationsTotal.inc({ plugin, outcome: "ok" });
      return value;
    } catch (err) {
      sandboxInvocationsTotal.inc({ plugin, outcome: errorCode(err) });
      throw err;
    }
  }

  private async run(
    plugin: string,
    exportName: string,
    input: Json,
    capabilities: HostCapabilities,
    deadlineMs: number,
    trace: InvocationTrace,
  ): Promise<Json> {
    if (!this.plugins.has(plugin)) {
      throw new SandboxError(SandboxErrorCode.Crashed, `plugin ${plugin} is not loaded`, {
        retryable: false,
      });
    }
    const inputJson = JSON.stringify(input) ?? "null";
    const gen = this.running() ?? (await this.child());
    const id = this.nextId++;
    const valueJson = await new Promise<Json>((resolve, reject) => {
      const timer = setTimeout(() => this.hung(gen, id), deadlineMs + this.margin + this.longestRun());
      gen.invocations.set(id, { plugin, capabilities, timer, trace, resolve, reject });
      this.send(gen, {
        type: "invoke",
        id,
        plugin,
        exportName,
        inputJson,
        granted: grantedNames(capabilities),
        deadlineMs,
        ...(trace.requestId || trace.traceparent ? { trace } : {}),
      });
    });
    return valueJson;
  }

  /** The longest one run of plugin code may block the child's thread: the largest CPU timeout loaded. */
  private longestRun(): number {
    let longest = 0;
    for (const p of this.plugins.values()) {
      longest = Math.max(longest, p.limits?.cpuTimeoutMs ?? DEFAULT_LIMITS.cpuTimeoutMs);
    }
    return longest;
  }

  async ping(timeoutMs = 5_000): Promise<number> {
    const gen = await this.child();
    const id = this.nextId++;
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        gen.pings.delete(id);
        reject(new SandboxError(SandboxErrorCode.Timeout, "plugin host did not answer ping"));
      }, timeoutMs);
      gen.pings.set(id, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      this.send(gen, { type: "ping", id });
    });
    return performance.now() - started;
  }

  async close(): Promise<void> {
    if (this.closed && this.current === undefined) return;
    this.closed = true;
    this.wake?.();
    const gen = this.current;
    if (gen === undefined || gen.exited) return;
    failAll(
      gen,
      () => new SandboxError(SandboxErrorCode.Crashed, "plugin host closed", { retryable: false }),
    );
    const exited = new Promise<void>((resolve) => gen.proc.once("exit", () => resolve()));
    const kill = setTimeout(() => gen.proc.kill("SIGKILL"), 2_000);
    if (gen.proc.connected)
      gen.proc.disconnect(); // the child exits on disconnect
    else gen.proc.kill("SIGKILL");
    await exited;
    clearTimeout(kill);
  }

  // ---- child lifecycle ---------------------------------------------------------------------------

  /** The child serving calls now, if one does (no start or restart under way): taken without a turn. */
  private running(): Generation | undefined {
    const gen = this.current;
    return this.closed || this.starting !== undefined || gen === undefined || gen.exited ? undefined : gen;
  }

  private child(): Promise<Generation> {
    if (this.closed) {
      return Promise.reject(
        new SandboxError(SandboxErrorCode.Crashed, "plugin host closed", { retryable: false }),
      );
    }
    // while a child starts, callers wait for it to have its plugins re-sent: an invoke sent earlier would
    // reach the fresh child before the plugin it names ("not loaded")
    if (this.starting) return this.starting;
    if (this.current !== undefined && !this.current.exited) return Promise.resolve(this.current);
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async start(): Promise<Generation> {
    const wait = this.notBefore - Date.now();
    if (wait > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    if (this.closed) {
      throw new SandboxError(SandboxErrorCode.Crashed, "plugin host closed", { retryable: false });
    }
    const script = childScript();
    if (script.fallback && !this.warnedFallback) {
      this.warnedFallback = true;
      this.logger.warn({ reason: script.fallback }, "plugin host child runs its sources through tsx");
    }
    const gen = forkGeneration(script, this.childArgs);
    const { proc } = gen;
    this.current = gen;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new SandboxError(SandboxErrorCode.Crashed, "plugin host did not start", { retryable: true }));
        proc.kill("SIGKILL");
      }, this.startTimeout);
      proc.on("message", (raw: unknown) => {
        if (!isChildMessage(raw)) return;
        if (raw.type === "ready") {
          clearTimeout(timer);
          resolve();
        } else {
          this.onMessage(gen, raw);
        }
      });
      proc.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new SandboxError(SandboxErrorCode.Crashed, "plugin host exited while starting"));
        this.onExit(gen, code, signal);
      });
    });
    proc.on("error", (err) => this.logger.error({ err: err.message, pid: proc.pid }, "plugin host error"));
    await ready;
    this.logger.info({ pid: proc.pid, plugins: this.plugins.size }, "plugin host started");
    // re-send what the previous child had loaded; IPC keeps order, so later invokes find them
    for (const plugin of this.plugins.values()) {
      const id = this.nextId++;
      gen.loads.set(id, {
        resolve: () => {},
        reject: (err) => this.logger.error({ plugin: plugin.name, err: err.message }, "plugin reload failed"),
      });
      this.send(gen, { type: "load", id, plugin });
    }
    return gen;
  }

  private onExit(gen: Generation, code: number | null, signal: NodeJS.Signals | null): void {
    gen.exited = true;
    if (this.current === gen) this.current = undefined;
    failAll(
      gen,
      () => new SandboxError(SandboxErrorCode.Crashed, "plugin host process exited", { retryable: true }),
    );
    if (this.closed) return;
    this.failures = Date.now() - gen.startedAt >= this.stableAfter ? 1 : this.failures + 1;
    const delay = backoffDelay(this.failures, this.backoff.initial, this.backoff.max);
    this.notBefore = Date.now() + delay;
    this.logger.warn({ pid: gen.proc.pid, code, signal, restartInMs: delay }, "plugin host exited");
    // restart eagerly when plugins are loaded, so they are warm again; otherwise on next use
    if (this.plugins.size > 0) {
      this.child().catch((err: Error) =>
        this.logger.error({ err: err.message }, "plugin host restart failed"),
      );
    }
  }

  /** Parent-side deadline passed: the child is hung (or too slow); kill it and let the exit handler restart. */
  private hung(gen: Generation, id: number): void {
    const inv = gen.invocations.get(id);
    if (inv === undefined) return;
    gen.invocations.delete(id);
    sandboxKillsTotal.inc({ plugin: inv.plugin, reason: "deadline" });
    this.logger.warn(
      { pid: gen.proc.pid, plugin: inv.plugin, ...inv.trace },
      "plugin host missed a deadline; killing it",
    );
    inv.reject(
      new SandboxError(SandboxErrorCode.Timeout, "plugin host did not answer within the deadline", {
        details: { enforcedBy: "supervisor" },
      }),
    );
    gen.proc.kill("SIGKILL");
  }

  private send(gen: Generation, message: ParentMessage): void {
    if (gen.exited || !gen.proc.connected) return; // the exit handler fails what was waiting
    gen.proc.send(message, (err) => {
      if (err) this.logger.warn({ pid: gen.proc.pid, err: err.message }, "plugin host send failed");
    });
  }

  // ---- messages from the child -------------------------------------------------------------------

  private onMessage(gen: Generation, msg: ChildMessage): void {
    switch (msg.type) {
      case "invoke_result": {
        this.onLog(gen, msg.log);
        const inv = gen.invocations.get(msg.id);
        if (inv === undefined) return;
        gen.invocations.delete(msg.id);
        clearTimeout(inv.timer);
        if (msg.ok) {
          inv.resolve(JSON.parse(msg.valueJson) as Json);
          return;
        }
        const killed = ISOLATE_KILLS[msg.error.code];
        if (killed) sandboxKillsTotal.inc({ plugin: inv.plugin, reason: killed });
        inv.reject(sandboxError(msg.error));
        return;
      }
      case "load_result": {
        const load = gen.loads.get(msg.id);
        if (load === undefined) return;
        gen.loads.delete(msg.id);
        if (msg.ok) load.resolve();
        else load.reject(sandboxError(msg.error));
        return;
      }
      case "capability_call":
        this.onCapabilityCall(gen, msg);
        return;
      case "capability_notify":
        this.onCapabilityNotify(gen, msg);
        return;
      case "log":
        this.onLog(gen, msg);
        return;
      case "pong": {
        const ping = gen.pings.get(msg.id);
        gen.pings.delete(msg.id);
        ping?.resolve();
        return;
      }
      case "ready":
        return;
    }
  }

  /** A line from the child: written by our logger (levels and fields were produced by host-main). */
  private onLog(gen: Generation, msg: InvocationLog): void {
    if (this.logger === NOOP_LOGGER) return;
    const write = this.logger[msg.level];
    if (typeof write !== "function") return;
    write.call(this.logger, { ...msg.fields, pid: gen.proc.pid, source: "plugin-host-child" }, msg.message);
  }

  private onCapabilityCall(gen: Generation, msg: CapabilityCallMessage): void {
    const inv = gen.invocations.get(msg.invocationId);
    if (inv === undefined) {
      this.send(gen, {
        type: "capability_result",
        callId: msg.callId,
        ok: false,
        error: { code: SandboxErrorCode.Crashed, message: "invocation is over", retryable: false },
      });
      return;
    }
    void dispatchCapabilityCall(inv.capabilities, msg.name, msg.argsJson).then((result) => {
      this.send(gen, { type: "capability_result", callId: msg.callId, ...result });
    });
  }

  private onCapabilityNotify(gen: Generation, msg: CapabilityNotifyMessage): void {
    const inv = gen.invocations.get(msg.invocationId);
    if (inv === undefined) return;
    void dispatchCapabilityCall(inv.capabilities, msg.name, msg.argsJson, "sync").then((result) => {
      if (!result.ok) {
        this.logger.warn(
          { plugin: inv.plugin, call: msg.name, code: result.error.code, ...inv.trace },
          "host call failed",
        );
      }
    });
  }
}

/** The supervised plugin host: forks the child lazily, restarts it on exit, reloads its plugins. */
export function createPluginHost(options: PluginHostOptions = {}): PluginHost {
  return new Supervisor(options);
}
