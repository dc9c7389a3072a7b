/**
 * THE host/isolate boundary: every call in each direction is listed in this file.
 *
 * Isolate → host (plugin code calls them through the frozen `host` object that isolate-bootstrap.ts
 * builds; the raw ivm `Callback`s stay in that bootstrap's closure):
 *   fetch, mail.send, bundles.grant, links.publish, kv.get, kv.set, kv.delete, secrets.get  (async)
 *   log, emit                                                                                (sync)
 *   — see `ISOLATE_TO_HOST`. Two ivm `Callback`s carry them: `callSync(name, argsJson)` and
 *   `callAsync(id, name, argsJson)` (returns at once: the answer comes through `settle`); a third,
 *   `done(envelope)`, hands the host the invocation's result. All copy strings only.
 *
 * Host → isolate (`HOST_TO_ISOLATE`, through the one `Reference` the host keeps; never handed to
 * plugin code). A context is prepared ahead of time and used by exactly one invocation (ADR 038):
 *   prepare: setup(configJson, callSync, callAsync, done) → enter  (bootstrap, fresh context)
 *            run plugin script                                      (defines globalThis.plugin)
 *   begin:   enter(1, exportName, inputJson, grantedJson)           (invoke, once; envelope → done)
 *            enter(2, id, envelopeJson)                             (settle: completes an async host call)
 *   release: the context is discarded after its invocation
 * Preparation runs on isolated-vm's thread; invoke and settle run synchronously on the caller's thread (ADR 048).
 *
 * Only JSON text crosses, in both directions.
 */
import ivm from "isolated-vm";
import type { FetchInit, HostCapabilities, LogLevel, MailMessage } from "./capabilities.js";
import { SandboxError, SandboxErrorCode } from "./errors.js";
import { BOOTSTRAP_SOURCE } from "./isolate-bootstrap.js";
import type { Json, JsonObject } from "./json.js";
import type { SandboxLimits } from "./runtime.js";
import { HOST_CALL_MODES, type HostCallMode, type HostCallName, memberOfCall } from "./vocabulary.js";

export type { HostCallName };

/**
 * Isolate → host: every host function plugin code can call. `sync` calls block the isolate until the
 * host returns; `async` calls return a promise inside the isolate, settled later by `settle`.
 * `args` are the JSON-decoded arguments; the result is copied back as JSON.
 */
export interface HostCall {
  mode: HostCallMode;
  /** Which size limit applies to the serialized arguments. */
  argsLimit: keyof Pick<SandboxLimits, "maxLogChars" | "maxEventChars" | "maxCallArgsChars">;
  granted(caps: HostCapabilities): boolean;
  call(caps: HostCapabilities, args: Json[]): unknown;
}

/** A host call's mode and grant, from the vocabulary: the member that carries it must be granted. */
function fromTable(name: HostCallName): Pick<HostCall, "mode" | "granted"> {
  const member = memberOfCall(name);
  return { mode: HOST_CALL_MODES[name], granted: (c) => c[member] !== undefined };
}

export const ISOLATE_TO_HOST = {
  fetch: {
    ...fromTable("fetch"),
    argsLimit: "maxCallArgsChars",
    call: (c, [url, init]) => need(c.fetch)(str(url, "url"), obj(init ?? {}, "init") as FetchInit),
  },
  "mail.send": {
    ...fromTable("mail.send"),
    argsLimit: "maxCallArgsChars",
    call: (c, [message]) => need(c.mail).send(mailMessage(message)),
  },
  "bundles.grant": {
    ...fromTable("bundles.grant"),
    argsLimit: "maxCallArgsChars",
    call: (c, [request]) => need(c.bundles).grant(obj(request, "request")),
  },
  "links.publish": {
    ...fromTable("links.publish"),
    argsLimit: "maxCallArgsChars",
    call: (c, [request]) => need(c.links).publish(obj(request, "request")),
  },
  "kv.get": {
    ...fromTable("kv.get"),
    argsLimit: "maxCallArgsChars",
    call: (c, [key]) => need(c.kv).get(str(key, "key")),
  },
  "kv.set": {
    ...fromTable("kv.set"),
    argsLimit: "maxCallArgsChars",
    call: (c, [key, value]) => need(c.kv).set(str(key, "key"), value ?? null),
  },
  "kv.delete": {
    ...fromTable("kv.delete"),
    argsLimit: "maxCallArgsChars",
    call: (c, [key]) => need(c.kv).delete(str(key, "key")),
  },
  "secrets.get": {
    ...fromTable("secrets.get"),
    argsLimit: "maxCallArgsChars",
    call: (c, [name]) => need(c.secrets).get(str(name, "name")),
  },
  log: {
    ...fromTable("log"),
    argsLimit: "maxLogChars",
    call: (c, [level, message, fields]) =>
      need(c.log)(logLevel(level), str(message, "message"), obj(fields ?? {}, "fields")),
  },
  emit: {
    ...fromTable("emit"),
    argsLimit: "maxEventChars",
    call: (c, [event]) => need(c.emit)(event ?? null),
  },
} as const satisfies Record<HostCallName, HostCall>;
const CALLS: Readonly<Record<string, HostCall>> = ISOLATE_TO_HOST;

function need<T>(value: T | undefined): T {
  if (value === undefined)
    throw new SandboxError(SandboxErrorCode.CapabilityDenied, "capability not granted");
  return value;
}
function str(value: Json | undefined, what: string): string {
  if (typeof value !== "string")
    throw new SandboxError(SandboxErrorCode.PluginError, `${what} must be a string`);
  return value;
}
function obj(value: Json | undefined, what: string): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SandboxError(SandboxErrorCode.PluginError, `${what} must be an object`);
  }
  return value;
}
/** A mail message from plugin JSON, checked field by field (the host never sees an unchecked shape). */
function mailMessage(value: Json | undefined): MailMessage {
  const m = obj(value, "message");
  const to = m.to;
  const recipients = Array.isArray(to) ? to.map((t) => str(t, "message.to[]")) : str(to, "message.to");
  const cc = m.cc;
  if (cc !== undefined && !Array.isArray(cc))
    throw new SandboxError(SandboxErrorCode.PluginError, "message.cc must be an array");
  return {
    to: recipients,
    ...(cc === undefined ? {} : { cc: cc.map((c) => str(c, "message.cc[]")) }),
    subject: str(m.subject, "message.subject"),
    text: str(m.text, "message.text"),
    ...(m.html === undefined ? {} : { html: str(m.html, "message.html") }),
    idempotencyKey: str(m.idempotencyKey, "message.idempotencyKey"),
  };
}
const LEVELS = new Set(["debug", "info", "warn", "error"]);
function logLevel(value: Json | undefined): LogLevel {
  if (typeof value !== "string" || !LEVELS.has(value)) {
    throw new SandboxError(SandboxErrorCode.PluginError, "level must be debug|info|warn|error");
  }
  return value as LogLevel;
}

type Envelope = string;
const okValue = (value: unknown): Envelope =>
  `{"ok":true,"value":${JSON.stringify(value ?? null) ?? "null"}}`;
function failed(err: { code: string; message: string; retryable: boolean }): Envelope {
  return JSON.stringify({
    ok: false,
    error: { code: err.code, message: err.message, retryable: err.retryable },
  });
}

/** What a host capability's failure looks like to the plugin; host messages of non-typed errors stay hidden. */
function toCallError(err: unknown): { code: string; message: string; retryable: boolean } {
  if (typeof err === "object" && err !== null && typeof (err as { code?: unknown }).code === "string") {
    const e = err as { code: string; message?: unknown; retryable?: unknown };
    return { code: e.code, message: String(e.message ?? e.code), retryable: e.retryable === true };
  }
  return { code: "internal", message: "host call failed", retryable: false };
}

/**
 * Host side of one invocation: answers the isolate's calls, counts emits, and reports the first
 * violation (denied capability, oversize arguments, emit flood) through `onViolation` — violations
 * fail the invocation even if the plugin catches the error it sees, and the runtime disposes the isolate.
 */
export class HostCallSession {
  private emits = 0;
  private closed = false;
  /** Host → isolate `settle(id, envelope)`; set once the context is set up. */
  settle: ((id: number, envelope: Envelope) => void) | undefined;

  constructor(
    private readonly capabilities: HostCapabilities,
    private readonly limits: SandboxLimits,
    private readonly onViolation: (err: SandboxError) => void,
  ) {}

  /** Names the plugin sees in `host.granted`. */
  granted(): string[] {
    return Object.keys(CALLS).filter((name) => CALLS[name]?.granted(this.capabilities));
  }

  close(): void {
    this.closed = true;
  }

  private check(name: unknown, argsJson: unknown, mode: HostCall["mode"]): { call: HostCall; args: Json[] } {
    const call = typeof name === "string" && Object.hasOwn(CALLS, name) ? CALLS[name] : undefined;
    if (call === undefined || call.mode !== mode || typeof argsJson !== "string") {
      throw new SandboxError(SandboxErrorCode.PluginError, "unknown host call");
    }
    if (!call.granted(this.capabilities)) {
      throw this.violation(SandboxErrorCode.CapabilityDenied, `capability ${name as string} is not granted`);
    }
    if (argsJson.length > this.limits[call.argsLimit]) {
      throw this.violation(
        SandboxErrorCode.OutputTooLarge,
        `arguments of ${name as string} exceed ${call.argsLimit}`,
      );
    }
    if (name === "emit" && ++this.emits > this.limits.maxEmitsPerInvocation) {
      throw this.violation(
        SandboxErrorCode.OutputTooLarge,
        `emit limit exceeded (${this.limits.maxEmitsPerInvocation} per invocation)`,
      );
    }
    return { call, args: JSON.parse(argsJson) as Json[] };
  }

  /** The isolate's `callSync(name, argsJson)`, while this session is bound to the context. */
  callSync(name: unknown, argsJson: unknown): Envelope {
    try {
      if (this.closed) throw new SandboxError(SandboxErrorCode.Crashed, "invocation is over");
      const { call, args } = this.check(name, argsJson, "sync");
      return okValue(call.call(this.capabilities, args));
    } catch (err) {
      return failed(this.observe(err));
    }
  }

  /**
   * The isolate's `callAsync(id, name, argsJson)`, while this session is bound to the context. The isolate
   * does not wait for it: every outcome, a refusal included, is answered through `settle(id, envelope)`.
   */
  callAsync(id: unknown, name: unknown, argsJson: unknown): void {
    if (typeof id !== "number") return; // only the bootstrap calls this, with its own counter
    let answer: Promise<Envelope>;
    try {
      if (this.closed) throw new SandboxError(SandboxErrorCode.Crashed, "invocation is over");
      const { call, args } = this.check(name, argsJson, "async");
      answer = Promise.resolve()
        .then(() => call.call(this.capabilities, args))
        .then((value) => okValue(value));
    } catch (err) {
      answer = Promise.reject(err);
    }
    void answer
      .catch((err: unknown) => failed(this.observe(err)))
      .then((envelope) => {
        if (!this.closed) this.settle?.(id, envelope);
      });
  }

  /** A `capability_denied` from a capability (e.g. the egress guard) is a violation too. */
  private observe(err: unknown): { code: string; message: string; retryable: boolean } {
    const e = toCallError(err);
    if (e.code === SandboxErrorCode.CapabilityDenied) this.onViolation(new SandboxError(e.code, e.message));
    return e;
  }

  private violation(code: SandboxErrorCode, message: string): SandboxError {
    const err = new SandboxError(code, message);
    this.onViolation(err);
    return err;
  }
}

/** Compiled once per isolate, with the plugin's own script. */
export function compileBootstrap(isolate: ivm.Isolate): Promise<ivm.Script> {
  return isolate.compileScript(BOOTSTRAP_SOURCE, { filename: "latchflow:bootstrap.js" });
}

/**
 * How the host runs one invocation's code (ADR 048): every run is a synchronous call on the caller's thread,
 * bounded by `timeout()` (the CPU limit, clamped to what is left of the deadline); the invocation's envelope
 * arrives through `done`; a run that ends abnormally (timeout, memory limit, disposal) reports through `fail`.
 */
export interface RunControl {
  timeout(): number;
  done(envelope: unknown): void;
  fail(err: unknown): void;
}

/** The isolate's end of one invocation, as the host holds it. */
export interface IsolateEnd {
  /** Starts the plugin's `run`; the envelope (or the failure) comes through the `RunControl`. */
  invoke(exportName: string, inputJson: string): void;
  /** Discards the context: drops the host's reference into it and releases it (once the invocation is over). */
  release(): void;
}

/** A fresh context with the bootstrap and the plugin's top level already run, waiting for its one invocation. */
export interface PreparedContext {
  /** Binds the invocation's session (host calls before this are refused) and hands out the isolate's end. */
  begin(session: HostCallSession, control: RunControl): IsolateEnd;
  /** Discards a context no invocation took. */
  discard(): void;
}

/** A sync host call while no invocation is bound (only the bootstrap holds the callbacks; kept for safety). */
const UNBOUND = failed({
  code: SandboxErrorCode.Crashed,
  message: "no invocation is running",
  retryable: false,
});

/**
 * Host → isolate calls, in order: prepare (setup, run plugin script), then per invocation `invoke`/`settle`.
 * Preparation runs on isolated-vm's own thread (async calls: the caller's event loop stays free). An
 * invocation's runs are synchronous (`applySync`, ADR 048): the isolate runs on the calling thread, its
 * microtasks included, under the run's `timeout`; no hop to another thread and back.
 */
export const HOST_TO_ISOLATE = {
  /** Fresh context: bootstrap, the three raw callbacks (bound to whichever session `begin` installs), plugin script. */
  async prepare(
    isolate: ivm.Isolate,
    scripts: { bootstrap: ivm.Script; plugin: ivm.Script },
    limits: SandboxLimits,
  ): Promise<PreparedContext> {
    const timeout = limits.cpuTimeoutMs;
    let session: HostCallSession | undefined;
    let control: RunControl | undefined;
    let enter: ivm.Reference | undefined;
    /** Depth of host → isolate runs on the stack: a settle never re-enters a run (it waits a turn). */
    let running = 0;
    const context = await isolate.createContext();
    const discard = () => {
      session = undefined;
      control = undefined;
      try {
        enter?.release();
        if (!isolate.isDisposed) context.release();
      } catch {
        // the isolate is gone
      }
    };
    const run = (args: unknown[]) => {
      const bound = control;
      if (bound === undefined || enter === undefined) return;
      running++;
      try {
        enter.applySync(undefined, args, { timeout: bound.timeout() });
      } catch (err) {
        bound.fail(err);
      } finally {
        running--;
      }
    };
    try {
      const setup = (await scripts.bootstrap.run(context, { reference: true, timeout })) as ivm.Reference;
      const config = JSON.stringify({
        calls: Object.entries(HOST_CALL_MODES),
        maxOutputChars: limits.maxOutputChars,
      });
      const callSync = new ivm.Callback((name: unknown, args: unknown) =>
        session ? session.callSync(name, args) : UNBOUND,
      );
      // called on this thread while the isolate runs; the session answers later through settle
      const callAsync = new ivm.Callback((id: unknown, name: unknown, args: unknown) => {
        session?.callAsync(id, name, args);
      });
      const done = new ivm.Callback((envelope: unknown) => {
        const bound = control;
        control = undefined; // once: the invocation is over
        bound?.done(envelope);
      });
      enter = (await setup.apply(undefined, [config, callSync, callAsync, done], {
        result: { reference: true },
        timeout,
      })) as ivm.Reference;
      setup.release();
      await scripts.plugin.run(context, { timeout });
    } catch (err) {
      discard();
      throw err;
    }
    let begun = false;
    return {
      discard,
      begin(bound, ctl) {
        if (begun) throw new SandboxError(SandboxErrorCode.Crashed, "context already used");
        begun = true;
        session = bound;
        control = ctl;
        // a continuation runs in a later turn of the event loop, never straight from the microtask that
        // settled the host call: a host call answered at once must not let one invocation chain its runs
        // and keep the loop (timers, I/O, other invocations) waiting until its deadline
        const settle = (id: number, envelope: Envelope) => {
          setImmediate(() => {
            if (running > 0) settle(id, envelope);
            else run([2, id, envelope]);
          });
        };
        bound.settle = settle;
        const granted = JSON.stringify(bound.granted());
        return {
          invoke: (exportName, inputJson) => run([1, exportName, inputJson, granted]),
          // the reference pins the context in the isolate: without this every call leaks its context
          release: () => {
            bound.settle = () => {};
            discard();
          },
        };
      },
    };
  },
};

/** Decodes `invoke`'s envelope (untrusted: built inside the isolate) into a value or a typed error. */
export function decodeResult(envelope: unknown, limits: SandboxLimits): Json {
  if (typeof envelope !== "string" || envelope.length === 0) {
    throw new SandboxError(SandboxErrorCode.PluginError, "plugin returned a malformed result");
  }
  const tag = envelope[0];
  const body = envelope.slice(1);
  if (tag === "x" || (tag === "v" && body.length > limits.maxOutputChars)) {
    throw new SandboxError(
      SandboxErrorCode.OutputTooLarge,
      `return value exceeds ${limits.maxOutputChars} characters of JSON`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new SandboxError(SandboxErrorCode.PluginError, "plugin returned a malformed result");
  }
  if (tag === "v") return parsed as Json;
  if (tag !== "e") throw new SandboxError(SandboxErrorCode.PluginError, "plugin returned a malformed result");
  const info = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const message = typeof info.message === "string" ? info.message.slice(0, 2000) : "plugin failed";
  const details: Record<string, unknown> = {};
  if (typeof info.hostCode === "string") details.hostCode = info.hostCode;
  if (typeof info.pluginCode === "string" && /^[a-z][a-z0-9_]{0,62}$/.test(info.pluginCode)) {
    details.pluginCode = info.pluginCode;
  }
  throw new SandboxError(SandboxErrorCode.PluginError, message, {
    retryable: info.retryable === true,
    details: Object.keys(details).length ? details : undefined,
  });
}
