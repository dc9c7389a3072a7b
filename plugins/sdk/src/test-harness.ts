/**
 * The local test harness (`@latchflow/plugin-sdk/testing`): runs a built plugin the way the server does — the
 * same inputs (built by the kernel's own functions, `./invocation.ts`), the same host capabilities as recorded
 * fakes with the server's rules, the same trigger events, limits and deadlines, in the same sandbox
 * (isolated-vm through `@latchflow/sandbox`). The node process needs `--no-node-snapshot`.
 */
import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { operations } from "@latchflow/api";
import {
  type FetchInit,
  type FetchResponse,
  IsolatedVmRuntime,
  type Json,
  type JsonObject,
  type LoadedPlugin,
} from "@latchflow/sandbox";
import { usesPrefix } from "@latchflow/spec/naming";
import { manifestFromBundle } from "./build.js";
import type {
  ActionInput,
  ControlAction,
  PipelineInfo,
  RunTrigger,
  TriggerEvent,
  TriggerInput,
  TriggerResult,
} from "./contract.js";
import { type PluginManifest, parseManifest } from "./define-plugin.js";
import { emptyHostState, type FakeHostState, fakeHost, type HostCallRecord } from "./fake-host.js";
import {
  actionDeadlineMs,
  actionInputOf,
  controlEvent,
  DEFAULT_STEP_TIMEOUT_MS,
  fireOf,
  limitsOf,
  MAX_FIRES,
  MAX_HOOK_BODY_BYTES,
  readTriggerResult,
  requestEvent,
  STATUS_DEADLINE_MS,
  stepFailureOf,
  TRIGGER_DEADLINE_MS,
  timerEvent,
  triggerInputOf,
} from "./invocation.js";

export type { FakeHostState, HostCallRecord } from "./fake-host.js";

export interface HarnessOptions {
  /** The built bundle's path (`dist/plugin.js`; its `latchflow-plugin.json` is read from the same folder)… */
  file?: string;
  /** …or its source. */
  code?: string;
  /** The manifest; default: `latchflow-plugin.json` next to `file`, else the one the bundle declares. */
  manifest?: PluginManifest;
  /** The plugin's secrets (`host.secrets.get`), as an admin sets them on the server. */
  secrets?: Record<string, string>;
  /** A fixed clock (`now` of every input, `firedAt`, `receivedAt`); default the real clock. */
  now?: Date | string | (() => Date);
  /** The pipeline the capability runs for (default `{ name: "test", version: 1, ownerEmail: "owner@example.com" }`). */
  pipeline?: Partial<PipelineInfo>;
  /** The server's public URL (default `http://127.0.0.1:8080`): the portal is `<url>/portal/`. */
  publicUrl?: string;
  /** The hosts an admin approved for `fetch` (default: every concrete host the manifest asks for). */
  approvedHosts?: readonly string[];
  /** Let `fetch` reach loopback and private addresses (the server's dev-only `LATCHFLOW_EGRESS_ALLOW_PRIVATE`). */
  allowPrivate?: boolean;
  /** Answers `fetch` requests the egress guard lets through, instead of the network. */
  respond?: (url: string, init: FetchInit) => FetchResponse | Promise<FetchResponse>;
  /** The bundles and recipients that exist for `bundles.grant` / `links.publish` (default: any name exists). */
  bundles?: readonly string[];
  recipients?: readonly string[];
}

/** Author-friendly trigger events; the harness turns them into what the kernel sends. */
export type HarnessEvent =
  | { type: "arm" }
  /** a timer the trigger set (by key); `dueAt` defaults to the timer's instant */
  | { type: "timer"; key: string; dueAt?: string }
  /** a webhook request to `POST /hooks/{pipeline}/{trigger}` */
  | { type: "request"; body?: string; headers?: Record<string, string>; receivedAt?: string }
  | { type: "control"; action: ControlAction; until?: string; actor?: string }
  | { type: "status" };

/** What the server records for a step, plus what the plugin received and called. */
export interface ActionOutcome {
  input: ActionInput;
  status: "succeeded" | "failed";
  outputs?: Json;
  /** the step's `errorCode` / `errorMessage` on the server */
  error?: { code: string; message: string; retryable: boolean };
  calls: HostCallRecord[];
}

export interface TriggerOutcome {
  input: TriggerInput;
  status: "succeeded" | "failed";
  result?: TriggerResult;
  /** the runs it fired (at most 10 per invocation, like the server): `trigger.kind` and `trigger.payload` */
  fires: { kind: string; payload: Json }[];
  /** the trigger's pending timers after the invocation */
  timers: { key: string; at: string }[];
  error?: { code: string; message: string; retryable: boolean };
  calls: HostCallRecord[];
  /** what the server would object to although the invocation succeeded (an answer the REST contract lacks) */
  warnings: string[];
}

export interface ActionCall {
  /** the step's `with` */
  config?: JsonObject;
  /** the run's trigger (default: a manual start, `{ id: "start", uses: "manual@1", kind: "manual", payload: {} }`) */
  trigger?: Partial<RunTrigger>;
  steps?: ActionInput["steps"];
  run?: { id?: string; attempt?: number };
  stepId?: string;
  pipeline?: Partial<PipelineInfo>;
  /** the step's `timeout` in ms (default 60 s), within the manifest's `limits.wallClockMs` */
  timeoutMs?: number;
}

export interface TriggerCall {
  /** the trigger's `with` */
  config?: JsonObject;
  triggerId?: string;
  pipeline?: Partial<PipelineInfo>;
}

export interface Harness {
  readonly manifest: PluginManifest;
  /** Everything the plugin did so far: host calls in order, mails, logs, emits, fetches, kv. */
  readonly state: FakeHostState;
  /** Runs an action as a pipeline step. */
  action(capability: string, call?: ActionCall): Promise<ActionOutcome>;
  /** Sends a trigger one event. */
  trigger(capability: string, event: HarnessEvent, call?: TriggerCall): Promise<TriggerOutcome>;
  /** A kv value as stored for a step or trigger id (`null` when absent). */
  kv(siteId: string, key: string, pipeline?: string): Json | null;
  /** The pending timers of a trigger. */
  timers(triggerId?: string, pipeline?: string): { key: string; at: string }[];
  close(): void;
}

const DEFAULT_PIPELINE: PipelineInfo = { name: "test", version: 1, ownerEmail: "owner@example.com" };

async function manifestFor(options: HarnessOptions, code: string): Promise<PluginManifest> {
  if (options.manifest) return parseManifest(options.manifest);
  if (options.file !== undefined) {
    const text = await readFile(join(dirname(options.file), "latchflow-plugin.json"), "utf8").catch(
      () => undefined,
    );
    if (text !== undefined) return parseManifest(JSON.parse(text));
  }
  const declared = manifestFromBundle(code);
  if (!declared) throw new TypeError("createHarness: the bundle declares no manifest; pass `manifest`");
  return parseManifest(declared);
}

/** Concrete hosts of the manifest's `fetch` permission (a pattern needs `approvedHosts`, as on the server). */
const concreteHosts = (m: PluginManifest) =>
  m.permissions
    .flatMap((p) => (p.name === "fetch" ? [...(p.hosts ?? [])] : []))
    .filter((h) => !h.includes("*"));

/** Loads a built plugin into a fresh isolate and returns the harness; `close()` frees it. */
export async function createHarness(options: HarnessOptions): Promise<Harness> {
  const code =
    options.code ?? (options.file !== undefined ? await readFile(options.file, "utf8") : undefined);
  if (code === undefined) throw new TypeError("createHarness needs code or file");
  const manifest = await manifestFor(options, code);
  const clock = options.now;
  const now = (): Date =>
    clock === undefined ? new Date() : typeof clock === "function" ? clock() : new Date(clock);
  const publicUrl = (options.publicUrl ?? "http://127.0.0.1:8080").replace(/\/+$/, "");
  const runtime = new IsolatedVmRuntime();
  const name = options.file !== undefined ? basename(options.file, ".js") : manifest.name;
  const loaded: LoadedPlugin = await runtime.load({ name, code, limits: limitsOf(manifest) });
  const state = emptyHostState(options.secrets);
  const timers = new Map<string, { key: string; at: string }[]>();
  const allowHosts = options.approvedHosts ?? concreteHosts(manifest);
  let runs = 0;

  const kindOf = (capability: string) => {
    const cap = manifest.capabilities.find((c) => `${c.key}@${c.major}` === capability);
    if (!cap) {
      const known = manifest.capabilities.map((c) => `${c.key}@${c.major}`).join(", ");
      throw new TypeError(`${manifest.name} has no capability ${capability} (it has ${known})`);
    }
    return cap.kind;
  };
  const pipelineOf = (p?: Partial<PipelineInfo>): PipelineInfo => ({
    ...DEFAULT_PIPELINE,
    ...options.pipeline,
    ...p,
  });
  const scope = (site: string, kind: "action" | "trigger" | "status", at: Date) =>
    fakeHost(state, {
      plugin: manifest.name,
      permissions: manifest.permissions,
      site,
      kind,
      allowHosts,
      allowPrivate: options.allowPrivate === true,
      now: at,
      publicUrl,
      ...(options.respond ? { respond: options.respond } : {}),
      ...(options.bundles ? { bundles: options.bundles } : {}),
      ...(options.recipients ? { recipients: options.recipients } : {}),
    });
  const since = (n: number) => state.calls.slice(n);

  return {
    manifest,
    state,

    async action(capability, call = {}) {
      if (kindOf(capability) !== "action") throw new TypeError(`${capability} is a trigger, not an action`);
      const at = now();
      const pipeline = pipelineOf(call.pipeline);
      const stepId = call.stepId ?? "step";
      const input = actionInputOf({
        config: call.config ?? {},
        trigger: {
          id: "start",
          uses: "manual@1",
          kind: "manual",
          firedAt: at.toISOString(),
          payload: {},
          ...call.trigger,
        },
        steps: call.steps ?? {},
        runId: call.run?.id ?? `run-${++runs}`,
        attempt: call.run?.attempt ?? 1,
        stepId,
        pipeline,
        now: at,
        portalUrl: `${publicUrl}/portal/`,
      });
      const first = state.calls.length;
      const { host } = scope(`${pipeline.name}/${stepId}`, "action", at);
      try {
        const outputs = await loaded.invoke(capability, input, host, {
          deadlineMs: actionDeadlineMs(call.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS, manifest),
        });
        return { input, status: "succeeded", outputs, calls: since(first) };
      } catch (err) {
        return { input, status: "failed", error: stepFailureOf(err), calls: since(first) };
      }
    },

    async trigger(capability, event, call = {}) {
      if (kindOf(capability) !== "trigger") throw new TypeError(`${capability} is an action, not a trigger`);
      const at = now();
      const pipeline = pipelineOf(call.pipeline);
      const triggerId = call.triggerId ?? "trigger";
      const site = `${pipeline.name}/${triggerId}`;
      const pending = timers.get(site) ?? [];
      if (
        event.type === "request" &&
        new TextEncoder().encode(event.body ?? "").length > MAX_HOOK_BODY_BYTES
      ) {
        // the ingress refuses it before any plugin runs (413)
        throw Object.assign(new Error(`The body is at most ${MAX_HOOK_BODY_BYTES} bytes`), {
          code: "payload_too_large",
        });
      }
      const kernelEvent = eventOf(event, at, pending);
      const status = kernelEvent.type === "status";
      const input = triggerInputOf({
        event: kernelEvent,
        config: call.config ?? {},
        now: at,
        pipeline,
        trigger: { id: triggerId, uses: `${usesPrefix(manifest.name)}/${capability}` },
        checkInLink: status ? "" : `${publicUrl}/checkin/harness-${encodeURIComponent(site)}`,
      });
      const first = state.calls.length;
      const emitted = state.emits.length;
      const invocation = scope(site, status ? "status" : "trigger", at);
      try {
        const raw = await loaded.invoke(capability, input, invocation.host, {
          deadlineMs: status ? STATUS_DEADLINE_MS : TRIGGER_DEADLINE_MS,
        });
        const result = readTriggerResult(raw);
        if (!status) {
          invocation.commit();
          // a fired timer is always consumed; returned timers replace the pending ones
          let next =
            kernelEvent.type === "timer" ? pending.filter((t) => t.key !== kernelEvent.key) : pending;
          if (result.timers) next = result.timers;
          timers.set(site, next);
        }
        const fires = status ? [] : state.emits.slice(emitted, emitted + MAX_FIRES).map(fireOf);
        const undeclared = undeclaredAnswer(kernelEvent, result);
        return {
          input,
          status: "succeeded",
          result,
          fires,
          timers: timers.get(site) ?? [],
          calls: since(first),
          warnings: undeclared === undefined ? [] : [undeclared],
        };
      } catch (err) {
        const error = stepFailureOf(err);
        return {
          input,
          status: "failed",
          fires: [],
          timers: pending,
          error,
          calls: since(first),
          warnings: [],
        };
      }
    },

    kv(siteId, key, pipeline = pipelineOf().name) {
      const text = state.kv.get(`${pipeline}/${siteId}`)?.get(key);
      return text === undefined ? null : (JSON.parse(text) as Json);
    },

    timers(triggerId = "trigger", pipeline = pipelineOf().name) {
      return [...(timers.get(`${pipeline}/${triggerId}`) ?? [])];
    },

    close() {
      loaded.dispose();
    },
  };
}

/**
 * The HTTP answer of a `request` or `control` event goes out through the REST contract: a status it does not
 * declare (say 200 from a webhook, whose contract says 202) breaks the documented API: a server that checks
 * its answers (`LATCHFLOW_CONTRACT_CHECK`, as the test suite runs) answers 500 `internal` instead, after the
 * trigger's state was committed. Returns the warning, or undefined.
 */
function undeclaredAnswer(event: TriggerEvent, result: TriggerResult): string | undefined {
  const op =
    event.type === "request"
      ? operations.deliverWebhook
      : event.type === "control"
        ? operations.controlTrigger
        : undefined;
  const answer = result.response?.status;
  if (op === undefined || answer === undefined || answer in op.responses) return undefined;
  const declared = Object.keys(op.responses).join(", ");
  return `${op.operationId} ${answer}: status ${answer} is not declared (the contract has ${declared})`;
}

function eventOf(
  event: HarnessEvent,
  at: Date,
  pending: readonly { key: string; at: string }[],
): TriggerEvent {
  switch (event.type) {
    case "arm":
    case "status":
      return { type: event.type };
    case "timer": {
      const due = event.dueAt ?? pending.find((t) => t.key === event.key)?.at;
      return timerEvent(event.key, due === undefined ? at : new Date(due));
    }
    case "request":
      return requestEvent(
        { "content-type": "application/json", ...event.headers },
        new TextEncoder().encode(event.body ?? ""),
        event.receivedAt === undefined ? at : new Date(event.receivedAt),
      );
    case "control":
      return controlEvent(
        event.action,
        event.actor ?? "user:owner",
        event.until === undefined ? undefined : new Date(event.until),
      );
  }
}
