/**
 * How the kernel invokes a capability, as ONE implementation shared by the server (kernel/core) and the local
 * test harness (`@latchflow/plugin-sdk/testing`): the inputs it builds, the events it sends, the limits and
 * deadlines it applies, the rules its host calls check and how it reads a trigger's answer (ADR 043).
 * Pure functions and constants (run-time imports: the import-free vocabulary table and the contract's rules): a
 * plugin that passes its tests locally got exactly what the server gives it.
 */
import { PERMISSION_NAMES, type PermissionName } from "@latchflow/sandbox/vocabulary";
import {
  type ActionInput,
  type ControlAction,
  type FireEvent,
  MESSAGE_RULE,
  normalizeMessage,
  PASSPHRASE_RULE,
  type PipelineInfo,
  passphraseFollowsRule,
  type RunTrigger,
  type StepOutcome,
  type TriggerEvent,
  type TriggerInput,
  type TriggerResult,
} from "./contract.js";
import type { Json, JsonObject, PluginManifest } from "./define-plugin.js";

// ── inputs ────────────────────────────────────────────────────────────────────────────────────────────

export interface ActionInputParts {
  /** the step's `with` as stored (the kernel applies no schema defaults) */
  config: JsonObject;
  trigger: RunTrigger;
  steps: Record<string, { outcome: StepOutcome; outputs: Json }>;
  runId: string;
  attempt: number;
  stepId: string;
  pipeline: PipelineInfo;
  now: Date;
  portalUrl: string;
}

/** What an action's `run` receives. */
export function actionInputOf(p: ActionInputParts): ActionInput {
  return {
    config: p.config,
    trigger: p.trigger,
    steps: p.steps,
    run: { id: p.runId, attempt: p.attempt, idempotencyKey: `${p.runId}:${p.stepId}` },
    step: { id: p.stepId },
    pipeline: p.pipeline,
    now: p.now.toISOString(),
    portalUrl: p.portalUrl,
  };
}

export interface TriggerInputParts {
  event: TriggerEvent;
  /** the trigger's `with` as stored */
  config: JsonObject;
  now: Date;
  pipeline: PipelineInfo;
  trigger: { id: string; uses: string };
  /** the signed check-in link ("" for a `status` event: a status call hands nothing out) */
  checkInLink: string;
}

/** What a trigger's `run` receives. */
export function triggerInputOf(p: TriggerInputParts): TriggerInput {
  return {
    event: p.event,
    config: p.config,
    now: p.now.toISOString(),
    pipeline: p.pipeline,
    trigger: p.trigger,
    links: { checkIn: p.checkInLink },
  };
}

// ── events ────────────────────────────────────────────────────────────────────────────────────────────

/** The largest webhook body the ingress takes (a bigger one is 413 `payload_too_large`, the plugin never runs). */
export const MAX_HOOK_BODY_BYTES = 1024 * 1024;
/** Request headers a trigger never sees. */
export const HIDDEN_HEADERS: ReadonlySet<string> = new Set(["authorization", "cookie", "x-csrf-token"]);
const MAX_HEADER_CHARS = 4096;

/** The `request` event of `POST /hooks/{pipeline}/{trigger}`: lower-cased headers, hidden ones removed. */
export function requestEvent(
  headers: Readonly<Record<string, unknown>>,
  body: Uint8Array,
  receivedAt: Date,
): TriggerEvent {
  const seen: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase();
    if (!HIDDEN_HEADERS.has(name)) seen[name] = String(v).slice(0, MAX_HEADER_CHARS);
  }
  return {
    type: "request",
    request: {
      headers: seen,
      body: new TextDecoder().decode(body),
      bodyBytes: body.length,
      receivedAt: receivedAt.toISOString(),
    },
  };
}

/** The `control` event of `POST /api/v1/pipelines/{name}/triggers/{id}/{action}`; `actor` is `<kind>:<id>`. */
export function controlEvent(action: ControlAction, actor: string, until?: Date): TriggerEvent {
  return { type: "control", action, ...(until ? { until: until.toISOString() } : {}), actor };
}

/** The `timer` event of a timer the trigger set. */
export function timerEvent(key: string, dueAt: Date): TriggerEvent {
  return { type: "timer", key, dueAt: dueAt.toISOString() };
}

// ── limits and deadlines ──────────────────────────────────────────────────────────────────────────────

/** A step's deadline when it states no `timeout`. */
export const DEFAULT_STEP_TIMEOUT_MS = 60_000;
/** A trigger invocation's deadline (arm, timer, request, control). */
export const TRIGGER_DEADLINE_MS = 15_000;
/** A `status` invocation's deadline (a person waits for the page). */
export const STATUS_DEADLINE_MS = 3_000;

/** An action's deadline: the step's timeout, within what the plugin itself asks for as its wall-clock limit. */
export function actionDeadlineMs(stepTimeoutMs: number, manifest: Pick<PluginManifest, "limits">): number {
  return Math.min(stepTimeoutMs, manifest.limits?.wallClockMs || Number.POSITIVE_INFINITY);
}

/** The most a plugin may ask for; what it asks for within these is granted (ARCHITECTURE §6: default 64 MB). */
export const MAX_LIMITS = { memoryMb: 256, cpuTimeoutMs: 10_000 } as const;

/** The sandbox limits of a plugin: its manifest's request, clamped to the kernel's maxima. */
export function limitsOf(manifest: Pick<PluginManifest, "limits">): {
  memoryMb?: number;
  cpuTimeoutMs?: number;
} {
  const out: { memoryMb?: number; cpuTimeoutMs?: number } = {};
  const l = manifest.limits;
  if (l?.memoryMb) out.memoryMb = Math.max(8, Math.min(MAX_LIMITS.memoryMb, Math.trunc(l.memoryMb)));
  if (l?.cpuTimeoutMs)
    out.cpuTimeoutMs = Math.max(10, Math.min(MAX_LIMITS.cpuTimeoutMs, Math.trunc(l.cpuTimeoutMs)));
  return out;
}

// ── host capabilities and failures ──────────────────────────────────────────────────────────────────

/**
 * The permissions an invocation is granted, in table order: what the manifest asks for, and `log` always
 * (`emit` only reaches triggers; a `status` event gets {@link STATUS_PERMISSIONS} only).
 */
export function grantedPermissions(asked: readonly { name: string }[]): PermissionName[] {
  const names = new Set<string>([...asked.map((p) => p.name), "log"]);
  return PERMISSION_NAMES.filter((p) => names.has(p));
}

/** What a read-only `status` invocation may use (no mail, fetch, grants, links or secrets). */
export const STATUS_PERMISSIONS: readonly PermissionName[] = ["log", "kv", "emit"];

/**
 * The failure a run records for a step (its `errorCode`): a plugin that let a host call's error through, or
 * classified its own failure (`plugin_error` with `details.hostCode` / `details.pluginCode`), names the cause.
 */
export function stepFailureOf(err: unknown): { code: string; message: string; retryable: boolean } {
  const e = err as { code?: unknown; message?: unknown; retryable?: unknown; details?: unknown };
  const details = (e?.details ?? {}) as { hostCode?: unknown; pluginCode?: unknown };
  const inner = typeof details.hostCode === "string" ? details.hostCode : details.pluginCode;
  const code = typeof e?.code === "string" ? e.code : "internal";
  return {
    code: code === "plugin_error" && typeof inner === "string" ? inner : code,
    message: typeof e?.message === "string" ? e.message : "unexpected failure",
    retryable: e?.retryable === true,
  };
}

// ── host-call rules ───────────────────────────────────────────────────────────────────────────────────

export const KV_MAX_KEY_CHARS = 200;
export const KV_MAX_VALUE_CHARS = 64 * 1024;

/** Why a kv key is refused (`plugin_error`), or undefined. */
export function kvKeyProblem(key: unknown): string | undefined {
  return typeof key !== "string" || key.length === 0 || key.length > KV_MAX_KEY_CHARS
    ? `kv keys are 1 to ${KV_MAX_KEY_CHARS} characters`
    : undefined;
}

/** The stored text of a kv value, or the problem (`sandbox_output_too_large`) when it is too large. */
export function kvValueText(value: Json): { text: string } | { problem: string } {
  const text = JSON.stringify(value);
  return text.length > KV_MAX_VALUE_CHARS
    ? { problem: `a kv value is at most ${KV_MAX_VALUE_CHARS} characters` }
    : { text };
}

/** Why the idempotency key of a mail, grant or link is refused (`validation_failed`), or undefined. */
export function idempotencyKeyProblem(key: unknown): string | undefined {
  return typeof key !== "string" || key.length < 8 || key.length > 1000
    ? "idempotencyKey must be 8 to 1000 characters"
    : undefined;
}

/**
 * Why a `host.bundles.grant` request is refused (`validation_failed`), or undefined; checked after its
 * idempotency key, before the bundle and the recipients are looked up.
 */
export function grantRequestProblem(req: Record<string, unknown>): string | undefined {
  const recipients = req.recipients;
  if (
    !Array.isArray(recipients) ||
    recipients.length === 0 ||
    recipients.length > 500 ||
    !recipients.every((r) => typeof r === "string")
  ) {
    return "recipients: 1 to 500 addresses";
  }
  if (typeof req.bundle !== "string") return "bundle must be a name";
  if (req.passphrase != null && !passphraseFollowsRule(req.passphrase)) {
    return `passphrase must be text of ${PASSPHRASE_RULE.minLength} to ${PASSPHRASE_RULE.maxLength} characters`;
  }
  // absent in requests from plugins built before the field existed
  const message = req.message ?? "";
  if (typeof message !== "string" || normalizeMessage(message) === undefined) {
    return `message must be plain text of at most ${MESSAGE_RULE.maxLength} characters, without control characters other than tab and newline`;
  }
  if (req.acknowledgementRequired === true && message.trim() === "") {
    return "acknowledgementRequired needs a message to acknowledge";
  }
  for (const field of ["notBefore", "notAfter"] as const) {
    if (req[field] != null && Number.isNaN(new Date(req[field] as string).getTime()))
      return `${field} is not a date`;
  }
  return undefined;
}

/** Why a `host.links.publish` request is refused (`validation_failed`), or undefined (after its idempotency key). */
export function publishRequestProblem(req: Record<string, unknown>, now: Date): string | undefined {
  if (typeof req.bundle !== "string") return "bundle must be a name";
  if (req.expiresAt == null) return "expiresAt is required";
  const at = new Date(req.expiresAt as string);
  if (Number.isNaN(at.getTime())) return "expiresAt is not a date";
  if (Math.ceil((at.getTime() - now.getTime()) / 1000) < 1) return "expiresAt must be in the future";
  return undefined;
}

/** The `not_found` messages of a grant or link naming what the tenant does not have. */
export const missingBundle = (name: string) => `Bundle ${name} does not exist`;
export const missingRecipient = (email: string) => `Recipient ${email} does not exist`;

// ── a trigger's answer ────────────────────────────────────────────────────────────────────────────────

/** The most timers a trigger may set, and runs it may fire, in one invocation (the rest are dropped). */
export const MAX_TIMERS = 50;
export const MAX_FIRES = 10;
/** The timer key of the kernel's own arm job; a trigger cannot use it. */
export const ARM_KEY = "__arm__";

/** A trigger's answer the kernel refuses (the invocation fails `internal`, "trigger plugin: …"). */
export class TriggerResultError extends Error {
  constructor(message: string) {
    super(`trigger plugin: ${message}`);
    this.name = "TriggerResultError";
  }
}

/** Checks what a trigger's `run` returned and normalizes it (timer instants in ISO UTC). */
export function readTriggerResult(value: Json): TriggerResult {
  const bad = (message: string) => new TriggerResultError(message);
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw bad("run must return an object");
  const r = value as { timers?: unknown; response?: unknown };
  const out: TriggerResult = {};
  if (r.timers !== undefined) {
    if (!Array.isArray(r.timers) || r.timers.length > MAX_TIMERS)
      throw bad(`timers: a list of at most ${MAX_TIMERS}`);
    const keys = new Set<string>();
    out.timers = r.timers.map((t: { key?: unknown; at?: unknown }) => {
      if (typeof t?.key === "string" && keys.has(t.key)) throw bad(`timer key ${t.key} appears twice`);
      if (typeof t?.key === "string") keys.add(t.key);
      const at = typeof t?.at === "string" ? new Date(t.at) : new Date(Number.NaN);
      if (
        typeof t?.key !== "string" ||
        !t.key ||
        t.key.length > 200 ||
        t.key === ARM_KEY ||
        Number.isNaN(at.getTime())
      ) {
        throw bad("each timer needs a key (1–200 characters) and an ISO instant `at`");
      }
      return { key: t.key, at: at.toISOString() };
    });
  }
  if (r.response !== undefined) {
    const res = r.response as { status?: unknown; body?: Json };
    if (
      typeof res?.status !== "number" ||
      !Number.isInteger(res.status) ||
      res.status < 200 ||
      res.status > 599
    ) {
      throw bad("response.status must be an HTTP status");
    }
    out.response = { status: res.status, ...(res.body !== undefined ? { body: res.body } : {}) };
  }
  return out;
}

/** A run a trigger fired with `host.emit(event)`: its `trigger.kind` (default "fired") and `payload`. */
export function fireOf(event: Json): { kind: string; payload: Json } {
  const e = (event ?? {}) as FireEvent;
  const kind = typeof e.kind === "string" && /^[a-z][a-z0-9_-]{0,62}$/.test(e.kind) ? e.kind : "fired";
  return { kind, payload: e.payload ?? {} };
}
