import ivm from "isolated-vm";
import {
  compileBootstrap,
  decodeResult,
  HOST_TO_ISOLATE,
  HostCallSession,
  type IsolateEnd,
  type RunControl,
} from "./boundary.js";
import type { HostCapabilities } from "./capabilities.js";
import { ContextPool } from "./context-pool.js";
import { SandboxError, SandboxErrorCode } from "./errors.js";
import type { Json } from "./json.js";
import {
  DEFAULT_LIMITS,
  type InvokeOptions,
  type LoadedPlugin,
  type PluginSource,
  type PluginStats,
  type SandboxLimits,
  type SandboxRuntime,
} from "./runtime.js";
import { Slots } from "./slots.js";

export interface IsolatedVmRuntimeOptions {
  /** Defaults applied under each plugin's own `limits`. */
  limits?: Partial<SandboxLimits>;
  /**
   * v8 lost control of an isolate (isolated-vm's `onCatastrophicError`). The plugin host process should
   * log and exit (`process.abort()`), letting its supervisor restart it. Default: nothing.
   */
  onCatastrophicError?: (plugin: string, message: string) => void;
  /**
   * Fresh contexts kept prepared per plugin (bootstrap and top level already run), each used by one
   * invocation and discarded (ADR 038). Each one holds what the plugin's top level allocates, under the
   * isolate's memory limit. 0 prepares every context on the invocation's path. Default 1.
   */
  warmContexts?: number;
  /**
   * Invocations of one plugin running at once (each holds a context in the plugin's isolate, all under its one
   * memory limit); more wait their turn, their deadline running. Default 32 (ADR 076).
   */
  maxConcurrentInvocations?: number;
}

/** Default of {@link IsolatedVmRuntimeOptions.maxConcurrentInvocations}. */
export const MAX_CONCURRENT_INVOCATIONS = 32;

/**
 * The isolated-vm `SandboxRuntime`: one isolate per plugin, a fresh context per invocation, prepared ahead.
 * An invocation's code runs synchronously on the thread that calls `invoke`, one run at a time, each bounded
 * by the CPU timeout cut to what is left of the invocation's deadline (ADR 048): while a run lasts, this
 * thread's event loop waits. Contexts are prepared on isolated-vm's thread. Meant for a process of its own
 * (the plugin host child) or a dev tool.
 */
export class IsolatedVmRuntime implements SandboxRuntime {
  constructor(private readonly options: IsolatedVmRuntimeOptions = {}) {}

  async load(plugin: PluginSource): Promise<LoadedPlugin> {
    const limits = { ...DEFAULT_LIMITS, ...this.options.limits, ...plugin.limits };
    const loaded = new IsolatedVmPlugin(plugin.name, plugin.code, limits, this.options);
    await loaded.warm();
    return loaded;
  }
}

interface Generation {
  isolate: ivm.Isolate;
  bootstrap: ivm.Script;
  plugin: ivm.Script;
  /** Contexts prepared ahead for this isolate's next invocations. */
  pool: ContextPool;
  /** Why the host disposed this isolate, if it did. */
  killedFor?: SandboxErrorCode;
  /** How to fail each invocation holding a context of this isolate now (when the isolate is killed). */
  running: Set<(err: SandboxError) => void>;
}

class IsolatedVmPlugin implements LoadedPlugin {
  private current: Promise<Generation> | undefined;
  /** What `current` resolved to, once it did: an invocation takes it without waiting a turn. */
  private live: Generation | undefined;
  private disposed = false;
  private readonly counters: PluginStats = { compiles: 0, isolates: 0, invocations: 0 };
  private readonly slots: Slots;

  constructor(
    readonly name: string,
    private readonly code: string,
    private readonly limits: SandboxLimits,
    private readonly options: IsolatedVmRuntimeOptions,
  ) {
    this.slots = new Slots(options.maxConcurrentInvocations ?? MAX_CONCURRENT_INVOCATIONS);
  }

  stats(): PluginStats {
    return { ...this.counters };
  }

  async warm(): Promise<void> {
    await this.generation();
  }

  dispose(): void {
    this.disposed = true;
    const current = this.current;
    this.current = undefined;
    this.live = undefined;
    // unloaded: what was running fails for good
    void current?.then((g) => kill(g, SandboxErrorCode.Crashed, false)).catch(() => {});
  }

  async invoke(
    exportName: string,
    input: Json,
    capabilities: HostCapabilities,
    options: InvokeOptions,
  ): Promise<Json> {
    this.counters.invocations++;
    const inputJson = JSON.stringify(input ?? null);
    if (inputJson.length > this.limits.maxOutputChars) {
      throw new SandboxError(SandboxErrorCode.OutputTooLarge, "input exceeds the size limit");
    }
    const started = performance.now();
    const deadlineAt = started + options.deadlineMs;
    // a turn among the plugin's running invocations; the deadline counts from the call, waiting included
    const slot = this.slots.take();
    let gen: Generation;
    try {
      if (slot.granted) await waitUntil(slot.granted, deadlineAt, options.deadlineMs);
      const live = this.live;
      gen = live !== undefined && !live.isolate.isDisposed ? live : await this.generation();
    } catch (err) {
      slot.release();
      throw err;
    }
    const remaining = Math.max(1, deadlineAt - performance.now());

    let timer: NodeJS.Timeout | undefined;
    let end: IsolateEnd | undefined;
    let fail: (err: unknown) => void = () => {};
    let finish: (envelope: unknown) => void = () => {};
    /** The last run's timeout was cut to what was left of the deadline (a timeout then is the deadline's). */
    let clamped = false;
    const stopped = new Promise<never>((_, reject) => {
      fail = reject;
      // between runs (the isolate idle, awaiting host calls): each run is bounded by its own timeout
      timer = setTimeout(() => {
        reject(new SandboxError(SandboxErrorCode.Timeout, `deadline of ${options.deadlineMs} ms exceeded`));
        kill(gen, SandboxErrorCode.Timeout);
      }, remaining);
    });
    gen.running.add(fail);
    const finished = new Promise<unknown>((resolve) => {
      finish = resolve;
    });
    // a violation fails the invocation at once and stops the plugin (it may be catching in a loop)
    const session = new HostCallSession(capabilities, this.limits, (err) => {
      fail(err);
      kill(gen, err.code);
    });
    const control: RunControl = {
      timeout: () => {
        const left = Math.floor(deadlineAt - performance.now());
        clamped = left < this.limits.cpuTimeoutMs;
        return Math.max(1, clamped ? left : this.limits.cpuTimeoutMs);
      },
      done: (envelope) => finish(envelope),
      fail: (err) => fail(this.classify(err, gen, clamped ? options.deadlineMs : undefined)),
    };
    const work = (async () => {
      const taken = gen.pool.take();
      const prepared = taken instanceof Promise ? await taken : taken;
      if (!prepared.ok) throw prepared.error; // the plugin's top level failed in this context
      end = prepared.context.begin(session, control);
      end.invoke(exportName, inputJson);
      return decodeResult(await finished, this.limits);
    })();
    work.catch(() => {}); // the race below reports it
    try {
      return await Promise.race([work, stopped]);
    } catch (err) {
      throw this.classify(err, gen);
    } finally {
      gen.running.delete(fail);
      slot.release();
      clearTimeout(timer);
      session.close();
      end?.release();
      // the next invocation's context, prepared once this one's result has been handed on (the caller's
      // continuations run first: part of preparing runs on this thread)
      setImmediate(() => {
        if (!gen.isolate.isDisposed) gen.pool.refill();
      });
    }
  }

  /** Maps what isolated-vm throws to a typed error; disposes the isolate after any overrun. */
  private classify(err: unknown, gen: Generation, deadlineMs?: number): SandboxError {
    if (err instanceof SandboxError) return err;
    const message = err instanceof Error ? err.message : String(err);
    if (gen.killedFor === SandboxErrorCode.Timeout)
      return new SandboxError(gen.killedFor, "deadline exceeded");
    if (/timed out/i.test(message)) {
      kill(gen, SandboxErrorCode.Timeout);
      if (deadlineMs !== undefined) {
        // the run's timeout was what was left of the invocation's deadline
        return new SandboxError(SandboxErrorCode.Timeout, `deadline of ${deadlineMs} ms exceeded`);
      }
      return new SandboxError(
        SandboxErrorCode.Timeout,
        `CPU timeout of ${this.limits.cpuTimeoutMs} ms exceeded`,
      );
    }
    if (/memory limit/i.test(message)) {
      // other invocations shared the isolate and its limit: which one used the memory is not known, so this one
      // may be tried again (alone, a second overrun is its own and final)
      const shared = gen.running.size > 1;
      kill(gen, SandboxErrorCode.Memory);
      return new SandboxError(
        SandboxErrorCode.Memory,
        `memory limit of ${this.limits.memoryMb} MB exceeded`,
        {
          retryable: shared,
          ...(shared ? { details: { sharedWith: gen.running.size - 1 } } : {}),
        },
      );
    }
    if (gen.isolate.isDisposed || /disposed|abandoned/i.test(message)) {
      return new SandboxError(SandboxErrorCode.Crashed, "the plugin's isolate was disposed", {
        retryable: !this.disposed,
      });
    }
    // an exception of the plugin's top-level code (the invocation itself reports through its envelope)
    return new SandboxError(SandboxErrorCode.PluginError, message.slice(0, 2000));
  }

  /** The live isolate, created (and the code compiled) lazily after a disposal. */
  private generation(): Promise<Generation> {
    if (this.disposed) {
      return Promise.reject(
        new SandboxError(SandboxErrorCode.Crashed, "plugin was unloaded", { retryable: false }),
      );
    }
    const current = this.current;
    if (current) {
      return current.then((g) => {
        if (!g.isolate.isDisposed) return g;
        if (this.current === current) this.current = undefined;
        return this.generation();
      });
    }
    this.live = undefined;
    const next = this.create();
    this.current = next;
    next.then(
      (g) => {
        if (this.current === next) this.live = g;
      },
      () => {
        if (this.current === next) this.current = undefined;
      },
    );
    return next;
  }

  private async create(): Promise<Generation> {
    const isolate = new ivm.Isolate({
      memoryLimit: this.limits.memoryMb,
      onCatastrophicError: (message) => this.options.onCatastrophicError?.(this.name, message),
    });
    this.counters.isolates++;
    try {
      const bootstrap = await compileBootstrap(isolate);
      const plugin = await isolate.compileScript(this.code, { filename: `plugin:${this.name}.js` });
      this.counters.compiles++;
      const scripts = { bootstrap, plugin };
      const pool = new ContextPool(this.options.warmContexts ?? 1, () =>
        HOST_TO_ISOLATE.prepare(isolate, scripts, this.limits),
      );
      pool.refill();
      return { isolate, bootstrap, plugin, pool, running: new Set() };
    } catch (err) {
      if (!isolate.isDisposed) isolate.dispose();
      const message = err instanceof Error ? err.message : String(err);
      throw new SandboxError(
        SandboxErrorCode.PluginError,
        `plugin code does not compile: ${message.slice(0, 500)}`,
      );
    }
  }
}

/**
 * Disposes the isolate for `reason`. Every invocation still holding one of its contexts then fails,
 * `sandbox_crashed`, retryable unless the plugin was unloaded (it did not cause this; one awaiting a host call
 * would otherwise wait for its deadline). A microtask later, so that the invocation that caused it fails first
 * with its own error (the callers classify, then fail): a second failure of an invocation changes nothing.
 */
function kill(gen: Generation, reason: SandboxErrorCode, othersMayRetry = true): void {
  gen.killedFor ??= reason;
  gen.pool.close();
  if (!gen.isolate.isDisposed) {
    try {
      gen.isolate.dispose();
    } catch {
      // already gone
    }
  }
  queueMicrotask(() => {
    for (const fail of gen.running) {
      fail(
        new SandboxError(SandboxErrorCode.Crashed, "the plugin's isolate was disposed", {
          retryable: othersMayRetry,
        }),
      );
    }
  });
}

/** Waits for `granted`, failing `sandbox_timeout` once `deadlineAt` (a `performance.now()` time) passes. */
async function waitUntil(granted: Promise<void>, deadlineAt: number, deadlineMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      granted,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new SandboxError(SandboxErrorCode.Timeout, `deadline of ${deadlineMs} ms exceeded`)),
          Math.max(1, deadlineAt - performance.now()),
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
