/**
 * The plugin host child process. Started by the supervisor (`supervisor.ts`) from its bundle, with
 * `fork(dist/host-main-<id>.mjs, { execArgv: ["--no-node-snapshot"], serialization: "advanced" })` (ADR 075).
 * Holds one `IsolatedVmRuntime`; host capabilities are forwarded to the parent (protocol.ts).
 * Exits when the parent disconnects; aborts on an isolated-vm catastrophic error.
 */
import { parseArgs } from "node:util";
import {
  type HostCallName,
  IsolatedVmRuntime,
  isSandboxError,
  type Json,
  type LoadedPlugin,
  SandboxError,
  SandboxErrorCode,
  type SandboxErrorJson,
} from "@latchflow/sandbox";
import { forwardingCapabilities } from "./child-capabilities.js";
import {
  type CallErrorJson,
  type ChildMessage,
  type InvocationLog,
  type InvokeMessage,
  isParentMessage,
  type LoadMessage,
  type ParentMessage,
} from "./protocol.js";

if (typeof process.send !== "function") {
  throw new Error("host-main must be started by the plugin host supervisor (no IPC channel)");
}

// `--max-concurrent-invocations=<n>` (the supervisor's option), else the runtime's default; the runtime refuses
// anything but a positive integer
const { values: args } = parseArgs({ options: { "max-concurrent-invocations": { type: "string" } } });
const max = args["max-concurrent-invocations"];
const runtime = new IsolatedVmRuntime({
  onCatastrophicError: () => process.abort(),
  ...(max === undefined ? {} : { maxConcurrentInvocations: Number(max) }),
});
/** A plugin being loaded; `plugin` is set once it is, so an invocation takes it without waiting a turn. */
interface PluginEntry {
  loading: Promise<LoadedPlugin>;
  plugin?: LoadedPlugin;
}
const plugins = new Map<string, PluginEntry>();
/** Async host calls awaiting the parent's `capability_result`. */
const pendingCalls = new Map<number, { resolve: (v: Json) => void; reject: (e: Error) => void }>();
let nextCallId = 1;

function pluginEntry(loading: Promise<LoadedPlugin>): PluginEntry {
  const entry: PluginEntry = { loading };
  loading.then(
    (plugin) => {
      entry.plugin = plugin;
    },
    () => {},
  );
  return entry;
}

function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

/** The fields every line about one invocation carries: which plugin, and the request it serves. */
function invocationFields(msg: InvokeMessage): Record<string, unknown> {
  return {
    plugin: msg.plugin,
    exportName: msg.exportName,
    invocationId: msg.id,
    ...(msg.trace?.requestId ? { requestId: msg.trace.requestId } : {}),
    ...(msg.trace?.traceparent ? { traceparent: msg.trace.traceparent } : {}),
  };
}

function errorJson(err: unknown): SandboxErrorJson {
  if (isSandboxError(err)) {
    const json: SandboxErrorJson = { code: err.code, message: err.message, retryable: err.retryable };
    if (err.details !== undefined) json.details = err.details;
    return json;
  }
  return { code: SandboxErrorCode.Crashed, message: "plugin host internal error", retryable: true };
}

/** The host call error the sandbox shows the plugin (it reads `code`, `message`, `retryable`). */
function callError(e: CallErrorJson): Error {
  return Object.assign(new Error(e.message), { code: e.code, retryable: e.retryable });
}

async function load(msg: LoadMessage): Promise<void> {
  const previous = plugins.get(msg.plugin.name);
  const current = pluginEntry(runtime.load(msg.plugin));
  plugins.set(msg.plugin.name, current);
  try {
    await current.loading;
    previous?.loading.then((p) => p.dispose()).catch(() => {});
    send({ type: "load_result", id: msg.id, ok: true });
  } catch (err) {
    if (plugins.get(msg.plugin.name) === current) {
      if (previous === undefined) plugins.delete(msg.plugin.name);
      else plugins.set(msg.plugin.name, previous);
    }
    send({ type: "load_result", id: msg.id, ok: false, error: errorJson(err) });
  }
}

async function invoke(msg: InvokeMessage): Promise<void> {
  const callIds = new Set<number>();
  const started = performance.now();
  const durationMs = () => Math.round((performance.now() - started) * 1000) / 1000;
  try {
    const entry = plugins.get(msg.plugin);
    if (entry === undefined) {
      throw new SandboxError(SandboxErrorCode.Crashed, `plugin ${msg.plugin} is not loaded`, {
        retryable: false,
      });
    }
    const plugin = entry.plugin ?? (await entry.loading);
    const capabilities = forwardingCapabilities(msg.granted, {
      call: (name: HostCallName, args: unknown[]) =>
        new Promise<Json>((resolve, reject) => {
          const callId = nextCallId++;
          callIds.add(callId);
          pendingCalls.set(callId, { resolve, reject });
          send({
            type: "capability_call",
            callId,
            invocationId: msg.id,
            name,
            argsJson: JSON.stringify(args),
          });
        }),
      notify: (name: HostCallName, args: unknown[]) =>
        send({ type: "capability_notify", invocationId: msg.id, name, argsJson: JSON.stringify(args) }),
    });
    const input = JSON.parse(msg.inputJson) as Json;
    const value = await plugin.invoke(msg.exportName, input, capabilities, { deadlineMs: msg.deadlineMs });
    const fields = { ...invocationFields(msg), durationMs: durationMs() };
    const line: InvocationLog = { level: "info", message: "plugin invocation finished", fields };
    send({ type: "invoke_result", id: msg.id, ok: true, valueJson: JSON.stringify(value), log: line });
  } catch (err) {
    const error = errorJson(err);
    const fields = { ...invocationFields(msg), durationMs: durationMs(), code: error.code };
    const line: InvocationLog = { level: "warn", message: "plugin invocation failed", fields };
    send({ type: "invoke_result", id: msg.id, ok: false, error, log: line });
  } finally {
    // the sandbox ignores late settles; forget calls the parent never answered
    for (const id of callIds) pendingCalls.delete(id);
  }
}

function handle(msg: ParentMessage): void {
  switch (msg.type) {
    case "load":
      void load(msg);
      return;
    case "invoke":
      void invoke(msg);
      return;
    case "capability_result": {
      const pending = pendingCalls.get(msg.callId);
      if (pending === undefined) return;
      pendingCalls.delete(msg.callId);
      if (msg.ok) pending.resolve(JSON.parse(msg.valueJson) as Json);
      else pending.reject(callError(msg.error));
      return;
    }
    case "ping":
      send({ type: "pong", id: msg.id });
      return;
  }
}

process.on("message", (raw: unknown) => {
  if (isParentMessage(raw)) handle(raw);
});
// the supervisor closed the channel or died: nothing left to serve
process.on("disconnect", () => process.exit(0));

send({ type: "ready" });
