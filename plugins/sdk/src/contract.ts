import { MESSAGE_RULE, normalizeMessage, PASSPHRASE_RULE } from "@latchflow/api/rules";
import type { Json, JsonObject } from "@latchflow/sandbox";

/**
 * What the kernel passes to capabilities and expects back. Plugin code reads these shapes; the kernel's
 * orchestrator builds them. Instants are ISO 8601 strings in UTC; `now` is the kernel's clock (tests
 * inject one), so plugins never read `Date.now()` for decisions.
 *
 * The shapes are type aliases, not interfaces: an alias of JSON-only fields is assignable to `Json`, so inputs
 * and results cross the sandbox boundary without casts.
 */

/** The pipeline a capability runs for. */
export type PipelineInfo = {
  name: string;
  version: number;
  /** Email of the user who last saved the pipeline ("" when unknown): the default reminder address. */
  ownerEmail: string;
};

// ── triggers ──────────────────────────────────────────────────────────────────────────────────────────

/**
 * Why a trigger capability is invoked. Each invocation may call `host.emit(event)` to fire the pipeline
 * (see `FireEvent`), and returns a `TriggerResult`.
 */
export type TriggerEvent =
  /** The pipeline was saved or enabled (or the kernel found no timers for it): compute the timers. */
  | { type: "arm" }
  /** A timer this trigger set came due. `dueAt` is when it was due; `now` may be later (kernel down). */
  | { type: "timer"; key: string; dueAt: string }
  /** An HTTP request to `POST /hooks/{pipeline}/{trigger}` (webhook triggers). */
  | { type: "request"; request: IngressRequest }
  /** The owner acts on the trigger: `POST /api/v1/pipelines/{name}/triggers/{id}/{action}` or a signed link. */
  | { type: "control"; action: ControlAction; until?: string; actor: string }
  /**
   * Someone looks at the trigger (the admin app's Triggers page): answer `response: { status: 200, body }` with
   * what a person should see (the next deadline, the next fire times…). Read-only: the kernel commits nothing
   * of this invocation (no kv writes, timers or emits) and offers it no mail, fetch, grants or links. A trigger
   * with nothing to show returns `{}`.
   */
  | { type: "status" };

export type ControlAction = "check-in" | "pause" | "resume";

export type IngressRequest = {
  /** Lower-cased header names; `authorization` and `cookie` are removed before plugins see them. */
  headers: Record<string, string>;
  /** The raw body as text (UTF-8), at most 1 MiB (the ingress refuses more with 413 before invoking). */
  body: string;
  /** Body size in bytes. */
  bodyBytes: number;
  receivedAt: string;
};

export type TriggerInput = {
  event: TriggerEvent;
  /** The trigger's `with` as written (the kernel fills in no schema defaults: apply your own). */
  config: JsonObject;
  now: string;
  pipeline: PipelineInfo;
  trigger: { id: string; uses: string };
  /** Signed links the kernel made for this trigger (deadman: `checkIn`, a page that checks in on POST). */
  links: { checkIn: string };
};

/** What a trigger returns (a type alias, not an interface, so a `TriggerResult` is assignable to `Json`). */
export type TriggerResult = {
  /**
   * When present, replaces every pending timer of this trigger (an empty list cancels them all). When
   * absent, pending timers stay as they are; a timer that just fired is always consumed.
   */
  timers?: { key: string; at: string }[];
  /** For `request` and `control` events: the HTTP answer (default 202 with no body); for `status`, the status. */
  response?: { status: number; body?: Json };
};

/**
 * The answer to a webhook request whose signature does not verify. The kernel gives the very same answer to a
 * request for a pipeline or trigger that does not exist (or takes no requests), so names cannot be probed:
 * a trigger should refuse anything it cannot authenticate with this, before any other check.
 */
export function invalidSignature(): TriggerResult {
  return {
    response: {
      status: 401,
      body: { error: { code: "invalid_signature", message: "missing or invalid X-Latchflow-Signature" } },
    },
  };
}

/**
 * The argument of `host.emit` from a trigger: fires the pipeline once. The run sees it as `trigger.kind`
 * (default "fired") and `trigger.payload` (default `{}`). Emits are committed atomically with the timer
 * changes and `kv` writes of the same invocation: a crash before the commit loses all of them together.
 */
export type FireEvent = {
  kind?: string;
  payload?: Json;
};

// ── actions ───────────────────────────────────────────────────────────────────────────────────────────

/** The trigger as the run sees it (also `trigger` in `if:` conditions and templates). */
export type RunTrigger = {
  id: string;
  uses: string;
  kind: string;
  firedAt: string;
  payload: Json;
};

export type StepOutcome = "succeeded" | "failed" | "skipped";

export type ActionInput = {
  /** The step's `with` as written (no schema defaults filled in). Templates (`{{ … }}`) are left for the plugin to render. */
  config: JsonObject;
  trigger: RunTrigger;
  /** Earlier steps of this run, by id. */
  steps: Record<string, { outcome: StepOutcome; outputs: Json }>;
  run: {
    id: string;
    attempt: number;
    /**
     * `<runId>:<stepId>`: the same for every attempt of the step. Pass it to side-effecting host calls — or the
     * key extended with your own suffix (`<key>:notify:<email>`) when one step makes several calls.
     */
    idempotencyKey: string;
  };
  step: { id: string };
  pipeline: PipelineInfo;
  now: string;
  /** The recipient portal's URL, ending in `/` (its pages: `bundles/<id>`, `sign-in`). */
  portalUrl: string;
};

// ── host calls with kernel-defined shapes ────────────────────────────────────────────────────────────

/** The one rule for a download passphrase (declared in the REST contract, `@latchflow/api`). */
/**
 * The one rule for the sender's message to a recipient (`grant@1`'s `message`, an assignment's message), with
 * its check: `normalizeMessage` gives the text as stored, or undefined when it breaks the rule.
 */
export { MESSAGE_RULE, normalizeMessage, PASSPHRASE_RULE };

/** Whether `value` is a passphrase {@link PASSPHRASE_RULE} accepts. */
export function passphraseFollowsRule(value: unknown): value is string {
  return (
    typeof value === "string" &&
    value.length >= PASSPHRASE_RULE.minLength &&
    value.length <= PASSPHRASE_RULE.maxLength
  );
}

/** `host.bundles.grant(request)`: assigns a bundle to recipients (by email) as the pipeline's owner. */
export interface GrantRequest extends JsonObject {
  bundle: string;
  recipients: string[];
  /** 0 = unlimited */
  maxDownloads: number;
  cooldownSeconds: number;
  /** ISO instants or null */
  notBefore: string | null;
  notAfter: string | null;
  /** null = none; else {@link PASSPHRASE_RULE} */
  passphrase: string | null;
  idempotencyKey: string;
  /**
   * plain text shown to each recipient before the download ({@link MESSAGE_RULE}); "" = none (the host also
   * takes a request without it, from plugins built before it existed)
   */
  message: string;
  /** each recipient must confirm they read `message` before the first download (needs a message) */
  acknowledgementRequired: boolean;
}

/** One entry per recipient, in request order; `created` is false when the assignment already existed. */
export interface GrantResult extends JsonObject {
  /** the granted bundle's id (its portal page is `<portalUrl>bundles/<bundleId>`) */
  bundleId: string;
  assignments: { recipient: string; assignmentId: string; created: boolean }[];
}

/** `host.links.publish(request)`: a signed public download link for a bundle. */
export interface PublishRequest extends JsonObject {
  bundle: string;
  expiresAt: string;
  /** 0 = unlimited */
  maxUses: number;
  idempotencyKey: string;
}

export interface PublishResult extends JsonObject {
  url: string;
  expiresAt: string;
  linkId: string;
}

/** Helper for plugin code: narrows the untyped `run` input. The kernel guarantees the shape. */
export function triggerInput(input: Json): TriggerInput {
  return input as unknown as TriggerInput;
}

/** Helper for plugin code: narrows the untyped `run` input. The kernel guarantees the shape. */
export function actionInput(input: Json): ActionInput {
  return input as unknown as ActionInput;
}
