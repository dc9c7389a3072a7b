import type { Json, JsonObject } from "./json.js";
import type { HostMember } from "./vocabulary.js";

/** Request options of the `fetch` capability (a small, JSON-only subset of WHATWG fetch). */
export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  /** Request body as text. */
  body?: string;
  /** Gives up after this long (ms); never longer than the host's own egress timeout. */
  timeoutMs?: number;
}

/** Response of the `fetch` capability; the body is text, size-limited by the egress guard. */
export interface FetchResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A mail to send; `idempotencyKey` makes retries of the same step send once. */
export interface MailMessage {
  to: string | string[];
  /** Copy recipients. */
  cc?: string[];
  subject: string;
  text: string;
  html?: string;
  idempotencyKey: string;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/** What each member of `HostCapabilities` is (its keys are the vocabulary's members: vocabulary.ts). */
export interface HostMemberTypes {
  fetch: (url: string, init: FetchInit) => Promise<FetchResponse>;
  mail: { send(message: MailMessage): Promise<{ messageId: string }> };
  bundles: { grant(request: JsonObject): Promise<Json> };
  links: { publish(request: JsonObject): Promise<Json> };
  kv: {
    get(key: string): Promise<Json | null>;
    set(key: string, value: Json): Promise<void>;
    delete(key: string): Promise<void>;
  };
  secrets: { get(name: string): Promise<string | null> };
  log: (level: LogLevel, message: string, fields: JsonObject) => void;
  /** Trigger plugins: fire an event. Rate-limited per invocation. */
  emit: (event: Json) => void;
}

/**
 * What the host grants one invocation. Each member is optional: the caller passes only what the
 * plugin's manifest asks for ∩ what the admin approved, already scoped (kv and secrets per plugin,
 * bundles/links to what the pipeline's owner may do). The sandbox injects nothing for an absent
 * member; calling it from the plugin fails `capability_denied`. The members are the vocabulary's
 * (`HOST_MEMBERS`): a member the table gains without a type here does not compile.
 *
 * Implementations may throw a `SandboxError` (or any `{ code, message, retryable }`); the plugin sees
 * an `Error` with that `code`. A `capability_denied` thrown here fails the whole invocation.
 */
export type HostCapabilities = { [M in HostMember]?: HostMemberTypes[M] };
