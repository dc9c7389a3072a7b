import { createHash } from "node:crypto";
import {
  createGuardedFetch,
  type EgressPolicy,
  type FetchInit,
  type FetchResponse,
  HostCallError,
  type HostCapabilities,
  type HostMemberTypes,
  type Json,
  type JsonObject,
  type LogLevel,
  type MailMessage,
  type MemberOf,
  memberOf,
  type PermissionName,
  SandboxError,
  SandboxErrorCode,
  vetUrl,
} from "@latchflow/sandbox";
import type { PluginPermission } from "./define-plugin.js";
import {
  grantedPermissions,
  grantRequestProblem,
  idempotencyKeyProblem,
  kvKeyProblem,
  kvValueText,
  missingBundle,
  missingRecipient,
  publishRequestProblem,
  STATUS_PERMISSIONS,
} from "./invocation.js";

/** One host call a plugin made, in order, with what it got back (`error`: the code and message it saw). */
export interface HostCallRecord {
  call: string;
  args: Json[];
  error?: { code: string; message: string };
}

/** What the fake host remembers across invocations of one harness (the server's database, in memory). */
export interface FakeHostState {
  /** kv values per scope (`<pipeline>/<step or trigger id>`), as stored text */
  kv: Map<string, Map<string, string>>;
  secrets: Map<string, string>;
  /** results of mail, grants and links per idempotency scope: a repeated key returns the first result, acts once */
  done: Map<string, Json>;
  calls: HostCallRecord[];
  mails: MailMessage[];
  /** `host.bundles.grant` and `host.links.publish` requests that acted (not repeats) */
  grants: JsonObject[];
  links: JsonObject[];
  logs: { level: LogLevel; message: string; fields: JsonObject }[];
  emits: Json[];
  fetches: { url: string; init: FetchInit; status?: number; error?: string }[];
}

export function emptyHostState(secrets: Record<string, string> = {}): FakeHostState {
  return {
    kv: new Map(),
    secrets: new Map(Object.entries(secrets)),
    done: new Map(),
    calls: [],
    mails: [],
    grants: [],
    links: [],
    logs: [],
    emits: [],
    fetches: [],
  };
}

/** Where and how one invocation runs. */
export interface FakeScope {
  plugin: string;
  permissions: readonly PluginPermission[];
  /** `<pipeline>/<stepId or triggerId>` */
  site: string;
  kind: "action" | "trigger" | "status";
  /** the hosts `fetch` may reach (the server: what an admin approved of the manifest's hosts) */
  allowHosts: readonly string[];
  /** reach loopback and private addresses (the server's `LATCHFLOW_EGRESS_ALLOW_PRIVATE`, dev only) */
  allowPrivate: boolean;
  /** stands for the network behind the egress guard (DNS is not consulted): a fake API for tests */
  respond?: (url: string, init: FetchInit) => FetchResponse | Promise<FetchResponse>;
  /** the bundles and recipients the pipeline's owner has (undefined: any name exists) */
  bundles?: readonly string[];
  recipients?: readonly string[];
  now: Date;
  publicUrl: string;
}

/** One invocation's host: the server's semantics, recorded. `commit` applies buffered trigger kv writes. */
export interface FakeInvocationHost {
  host: HostCapabilities;
  /** triggers: their kv writes land only when the invocation succeeded (the server commits them atomically) */
  commit(): void;
}

const hashOf = (key: string) => createHash("sha256").update(`harness\0${key}`).digest("hex").slice(0, 32);

const refuse = (code: string, problem: string | undefined) => {
  if (problem !== undefined) throw new HostCallError(code, problem);
};

/**
 * The host capabilities of one invocation, granted as the server grants them (manifest permissions, `log`
 * always, `emit` to triggers only, a `status` only log/kv/emit) and checked by the same rules.
 */
export function fakeHost(state: FakeHostState, scope: FakeScope): FakeInvocationHost {
  const record = <T>(call: string, args: Json[], run: () => T): T => {
    const entry: HostCallRecord = { call, args: JSON.parse(JSON.stringify(args)) as Json[] };
    state.calls.push(entry);
    const fail = (err: unknown) => {
      const e = err as { code?: unknown; message?: unknown };
      entry.error = { code: String(e?.code ?? "internal"), message: String(e?.message ?? err) };
      return err;
    };
    try {
      const out = run();
      return (out instanceof Promise ? out.catch((err) => Promise.reject(fail(err))) : out) as T;
    } catch (err) {
      throw fail(err);
    }
  };
  const stored = state.kv.get(scope.site) ?? new Map<string, string>();
  state.kv.set(scope.site, stored);
  // triggers buffer their writes; actions write at once; a status's writes are dropped
  const writes = new Map<string, string | null>();
  const buffered = scope.kind !== "action";
  const checkKey = (key: string) => {
    const problem = kvKeyProblem(key);
    if (problem !== undefined) throw new SandboxError(SandboxErrorCode.PluginError, problem);
  };
  const egress: EgressPolicy = {
    allowHosts: scope.allowHosts,
    ...(scope.allowPrivate ? { allowAddressClasses: ["loopback", "private"] } : {}),
    ...(scope.respond ? { resolve: async () => [{ address: "1.0.0.1", family: 4 }] } : {}),
  };
  const guarded = createGuardedFetch(egress);
  const respond = scope.respond;

  // idempotent on the key, namespaced like the server's: plugin, pipeline and step
  const scoped = (key: string) => `${scope.plugin}:${scope.site}:${key}`;
  const once = (key: string, act: () => Json): Json => {
    if (!state.done.has(scoped(key))) state.done.set(scoped(key), act());
    return state.done.get(scoped(key)) as Json;
  };
  const exists = (names: readonly string[] | undefined, name: string, message: (n: string) => string) => {
    if (names !== undefined && !names.includes(name)) throw new HostCallError("not_found", message(name));
  };

  const grants: { [P in PermissionName]: () => HostMemberTypes[MemberOf<P>] | undefined } = {
    kv: () => ({
      get: (key) =>
        record("kv.get", [key], async () => {
          checkKey(key);
          const text = writes.has(key) ? writes.get(key) : stored.get(key);
          return text == null ? null : (JSON.parse(text) as Json);
        }),
      set: (key, value) =>
        record("kv.set", [key, value], async () => {
          checkKey(key);
          const out = kvValueText(value);
          if ("problem" in out) throw new SandboxError(SandboxErrorCode.OutputTooLarge, out.problem);
          if (buffered) writes.set(key, out.text);
          else stored.set(key, out.text);
        }),
      delete: (key) =>
        record("kv.delete", [key], async () => {
          checkKey(key);
          if (buffered) writes.set(key, null);
          else stored.delete(key);
        }),
    }),
    secrets: () => ({
      get: (name) => record("secrets.get", [name], async () => state.secrets.get(name) ?? null),
    }),
    log: () => (level, message, fields) =>
      record("log", [level, message, fields], () => {
        state.logs.push({ level, message, fields });
      }),
    emit: () =>
      scope.kind === "action"
        ? undefined
        : (event) =>
            record("emit", [event], () => {
              state.emits.push(event);
            }),
    "mail.send": () => ({
      send: (message: MailMessage) =>
        record("mail.send", [message as unknown as Json], async () => {
          refuse("validation_failed", idempotencyKeyProblem(message.idempotencyKey));
          return once(`mail:${message.idempotencyKey}`, () => {
            state.mails.push(message);
            return {
              messageId: `<${hashOf(message.idempotencyKey)}@latchflow>`,
              accepted: [message.to, message.cc ?? []].flat(),
            };
          }) as { messageId: string };
        }),
    }),
    "bundles.grant": () => ({
      grant: (request) =>
        record("bundles.grant", [request], async () => {
          refuse("validation_failed", idempotencyKeyProblem(request.idempotencyKey));
          refuse("validation_failed", grantRequestProblem(request));
          const bundle = String(request.bundle);
          exists(scope.bundles, bundle, missingBundle);
          const recipients = request.recipients as string[];
          for (const email of recipients) exists(scope.recipients, email, missingRecipient);
          const assignments = recipients.map((recipient) => {
            const key = `grant:${request.idempotencyKey}:${recipient}`;
            const created = !state.done.has(scoped(key));
            const assignmentId = once(key, () => hashOf(key)) as string;
            return { recipient, assignmentId, created };
          });
          if (assignments.some((a) => a.created)) state.grants.push(request);
          return { bundleId: `bundle-${hashOf(bundle)}`, assignments };
        }),
    }),
    "links.publish": () => ({
      publish: (request) =>
        record("links.publish", [request], async () => {
          refuse("validation_failed", idempotencyKeyProblem(request.idempotencyKey));
          refuse("validation_failed", publishRequestProblem(request, scope.now));
          exists(scope.bundles, String(request.bundle), missingBundle);
          return once(`publish:${request.idempotencyKey}`, () => {
            state.links.push(request);
            const id = hashOf(`publish:${request.idempotencyKey}`);
            const expiresAt = new Date(String(request.expiresAt)).toISOString();
            return { url: `${scope.publicUrl}/s/${id}`, expiresAt, linkId: id };
          });
        }),
    }),
    fetch: () => (url, init) =>
      record("fetch", [url, init as unknown as Json], async () => {
        const seen: FakeHostState["fetches"][number] = { url, init };
        state.fetches.push(seen);
        try {
          // with a responder the egress guard still decides (allowlist, scheme, credentials), then the
          // responder answers instead of the network
          if (respond) await vetUrl(url, egress);
          const res = respond ? await respond(url, init) : await guarded(url, init);
          seen.status = res.status;
          return res;
        } catch (err) {
          seen.error = String((err as { code?: unknown })?.code ?? "internal");
          throw err;
        }
      }),
  };
  const caps: Record<string, unknown> = {};
  for (const permission of grantedPermissions(scope.permissions)) {
    if (scope.kind === "status" && !STATUS_PERMISSIONS.includes(permission)) continue;
    const member = grants[permission]();
    if (member !== undefined) caps[memberOf(permission)] = member;
  }
  return {
    host: caps as HostCapabilities,
    commit() {
      if (scope.kind === "status") return;
      for (const [key, text] of writes) {
        if (text === null) stored.delete(key);
        else stored.set(key, text);
      }
    },
  };
}
