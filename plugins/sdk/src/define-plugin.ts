/**
 * `definePlugin` and the manifest types. This file is bundled INTO plugins: it must stay free of Node
 * APIs and of runtime imports (type-only imports are erased by esbuild).
 */
import type {
  FetchInit,
  FetchResponse,
  Json,
  JsonObject,
  LogLevel,
  MailMessage,
  PluginHost,
} from "@latchflow/sandbox";
import { isPermissionName, PERMISSION_NAMES, type PermissionName } from "@latchflow/sandbox/vocabulary";
import type { CapabilityKind, JsonSchema } from "@latchflow/spec/capability";
import { CAPABILITY_ID_PATTERN, capabilityIdProblem, pluginNameProblem } from "@latchflow/spec/naming";

/** The one capability naming rule (also applied by the server at install and by the pipeline validator). */
export { CAPABILITY_NAME_MESSAGE, CAPABILITY_NAME_RULE, capabilityIdProblem } from "@latchflow/spec/naming";
export type { CapabilityKind, FetchInit, FetchResponse, Json, JsonObject, JsonSchema, LogLevel, MailMessage };

/**
 * The plugin API a manifest targets (ARCHITECTURE §3.5), written into every `latchflow-plugin.json` this SDK
 * builds. Compatibility rule (ADR 040): the SDK's semver major is the API's number (SDK 1.x.y writes
 * `…/v1`); a server accepts the API versions in {@link SUPPORTED_PLUGIN_API_VERSIONS} and refuses any other at
 * install (`validation_failed`, `details.field` "apiVersion"). Minor SDK releases add tools, never manifest
 * requirements, so a plugin built with any 1.x SDK installs on every server that supports `…/v1`.
 */
export const PLUGIN_API_VERSION = "latchflow.dev/plugins/v1";

/** The plugin API versions this code accepts in a manifest (the server installs these, and only these). */
export const SUPPORTED_PLUGIN_API_VERSIONS: readonly string[] = Object.freeze([PLUGIN_API_VERSION]);

/**
 * What `run` receives as `host` inside the sandbox: plain functions that copy JSON in and out.
 * Every member is present; calling one the host did not grant fails the invocation `capability_denied`.
 * Host errors are `Error`s with a string `code` and a boolean `retryable`.
 */
export type Host = PluginHost;

/**
 * `<name>@<major>` (`notify@1`), by the one naming rule (`@latchflow/spec/naming`); pipelines use it as
 * `<plugin>/<name>@<major>`, the plugin part being the package name without its scope.
 */
export type CapabilityId = `${string}@${number}`;

/**
 * Host capabilities a plugin may ask for (ARCHITECTURE §6); granted per manifest ∩ admin approval. Derived from
 * the one vocabulary table (`@latchflow/sandbox/vocabulary`).
 */
export { PERMISSION_NAMES, type PermissionName };

/** One permission requested by a plugin. */
export interface PluginPermission {
  name: PermissionName;
  /** For `fetch` only: the egress allowlist (exact hosts or `*.suffix`). */
  hosts?: readonly string[];
  /** True when the host only grants this permission after an admin approves it. */
  requiresApproval?: boolean;
  /** Why the plugin needs it; shown to the admin who installs or approves it. */
  reason: string;
}

/** Resource limits a plugin asks for; the host clamps them to its own maxima. */
export interface PluginLimits {
  memoryMb?: number;
  cpuTimeoutMs?: number;
  wallClockMs?: number;
}

/** One capability major as the author writes it. */
export interface CapabilitySpec {
  kind: CapabilityKind;
  /** JSON Schema (draft 2020-12) of the pipeline's `with:` block. */
  configSchema: JsonSchema;
  /** JSON Schema of the outputs (actions) or of `trigger.payload` (triggers). Default `{}`. */
  outputsSchema?: JsonSchema;
  /** One paragraph of markdown, shown in the editor. Default `""`. */
  docs?: string;
  /**
   * Runs in the sandbox on a JSON copy of the input; returns JSON (copied out). Method syntax on purpose:
   * authors may annotate `input` with the narrower type their `configSchema` guarantees.
   */
  run(input: Json, host: Host): Json | Promise<Json>;
  /**
   * Older majors this capability still serves: a pipeline written for `key@<old>` keeps running after the
   * plugin drops that major, its `with:` converted by `migrate` at run time. Requires `migrate`.
   */
  migratesFrom?: readonly number[];
  /** Converts a configuration written for `fromMajor` to this major's shape (runs in the sandbox). */
  migrate?(fromMajor: number, config: JsonObject): JsonObject;
}

/** What `definePlugin` takes. */
export interface PluginSpec<
  C extends Record<CapabilityId, CapabilitySpec> = Record<CapabilityId, CapabilitySpec>,
> {
  /** Package name (npm style, e.g. `latchflow-plugin-slack` or `@acme/latchflow-slack`). */
  name: string;
  /** Semver version. */
  version: string;
  capabilities: C;
  permissions?: readonly PluginPermission[];
  limits?: PluginLimits;
}

/** A capability major as declared in `latchflow-plugin.json`. */
export interface CapabilityManifest {
  kind: CapabilityKind;
  key: string;
  major: number;
  configSchema: JsonSchema;
  outputsSchema: JsonSchema;
  docs: string;
  /** Older majors served through `migrate` (see `CapabilitySpec.migratesFrom`). */
  migratesFrom?: readonly number[];
}

/** The contents of `latchflow-plugin.json` (ARCHITECTURE §3.5). */
export interface PluginManifest {
  name: string;
  version: string;
  apiVersion: typeof PLUGIN_API_VERSION;
  capabilities: readonly CapabilityManifest[];
  permissions: readonly PluginPermission[];
  limits?: PluginLimits;
}

/** A defined plugin: the spec plus its manifest. */
export interface Plugin<C extends Record<CapabilityId, CapabilitySpec> = Record<CapabilityId, CapabilitySpec>>
  extends PluginSpec<C> {
  readonly manifest: PluginManifest;
}

/** The value assigned to `globalThis.plugin` (the sandbox's contract, plus the manifest for the build). */
export interface SandboxPluginGlobal {
  capabilities: Record<string, { kind: CapabilityKind; run(input: Json, host: Host): Json | Promise<Json> }>;
  manifest: PluginManifest;
}

const ID_PATTERN = new RegExp(CAPABILITY_ID_PATTERN);
const NAME_PATTERN = /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;
const VERSION_PATTERN = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$/;

/** Thrown by `definePlugin` for an invalid definition. */
export class PluginDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PluginDefinitionError";
  }
}

/** A manifest whose `apiVersion` this code does not support (too new, too old, or missing). */
export class PluginApiVersionError extends PluginDefinitionError {
  readonly supported = SUPPORTED_PLUGIN_API_VERSIONS;
  constructor(readonly apiVersion: unknown) {
    super(
      `latchflow-plugin.json: apiVersion ${JSON.stringify(apiVersion ?? null)} is not supported ` +
        `(supported: ${SUPPORTED_PLUGIN_API_VERSIONS.join(", ")}); ` +
        `build the plugin with @latchflow/plugin-sdk ${SUPPORTED_PLUGIN_API_VERSIONS.map(sdkMajorOf).join(" or ")}`,
    );
    this.name = "PluginApiVersionError";
  }
}

/** `latchflow.dev/plugins/v<N>` is written by SDK `<N>.x` (the compatibility rule above). */
function sdkMajorOf(apiVersion: string): string {
  return `${apiVersion.replace(/^.*\/v/, "")}.x`;
}

/**
 * Defines a plugin. Validates the definition, computes its manifest and — when running inside the
 * sandbox (no `process` global) — assigns `globalThis.plugin` in the shape the sandbox invokes.
 */
export function definePlugin<const C extends Record<CapabilityId, CapabilitySpec>>(
  spec: PluginSpec<C>,
): Plugin<C> {
  const manifest = buildManifest(spec);
  const plugin: Plugin<C> = { ...spec, manifest };
  const g = globalThis as { plugin?: unknown; process?: unknown };
  if (g.process === undefined) g.plugin = toSandboxGlobal(plugin);
  return plugin;
}

/** The `latchflow-plugin.json` content of a plugin (capabilities without `run`). */
export function manifestOf(plugin: PluginSpec | Plugin): PluginManifest {
  return "manifest" in plugin ? plugin.manifest : buildManifest(plugin);
}

/** The object the sandbox expects as `globalThis.plugin`. */
export function toSandboxGlobal(plugin: Plugin): SandboxPluginGlobal {
  const capabilities: SandboxPluginGlobal["capabilities"] = {};
  for (const [id, cap] of Object.entries(plugin.capabilities as Record<string, CapabilitySpec>)) {
    const run = cap.run;
    capabilities[id] = { kind: cap.kind, run: (input, host) => run.call(cap, input, host) };
    const migrate = cap.migrate;
    if (migrate !== undefined) {
      // invoked by the kernel as `<id>#migrate` with { fromMajor, config }
      capabilities[`${id}#migrate`] = {
        kind: cap.kind,
        run: (input) => {
          const { fromMajor, config } = input as { fromMajor: number; config: JsonObject };
          return migrate.call(cap, fromMajor, config);
        },
      };
    }
  }
  return { capabilities, manifest: plugin.manifest };
}

function buildManifest(spec: PluginSpec): PluginManifest {
  const fail = (message: string): never => {
    throw new PluginDefinitionError(`plugin ${JSON.stringify(spec?.name)}: ${message}`);
  };
  if (typeof spec !== "object" || spec === null) fail("definePlugin expects an object");
  if (typeof spec.name !== "string" || !NAME_PATTERN.test(spec.name) || spec.name.length > 214) {
    fail("name must be an npm-style package name (lowercase)");
  }
  if (typeof spec.version !== "string" || !VERSION_PATTERN.test(spec.version)) {
    fail(`version ${JSON.stringify(spec.version)} is not semver (x.y.z)`);
  }
  const badName = pluginNameProblem(spec.name);
  if (badName !== undefined) fail(badName);
  if (typeof spec.capabilities !== "object" || spec.capabilities === null) fail("capabilities is required");
  const capabilities: CapabilityManifest[] = [];
  for (const [id, cap] of Object.entries(spec.capabilities as Record<string, CapabilitySpec>)) {
    const match = ID_PATTERN.exec(id);
    if (!match) fail(capabilityIdProblem(id) ?? `capability ${JSON.stringify(id)} breaks the naming rule`);
    if (cap?.kind !== "trigger" && cap?.kind !== "action") fail(`${id}: kind must be "trigger" or "action"`);
    if (typeof cap.run !== "function") fail(`${id}: run must be a function`);
    if (!isPlainObject(cap.configSchema)) fail(`${id}: configSchema must be a JSON Schema object`);
    if (cap.outputsSchema !== undefined && !isPlainObject(cap.outputsSchema)) {
      fail(`${id}: outputsSchema must be a JSON Schema object`);
    }
    if (cap.docs !== undefined && typeof cap.docs !== "string") fail(`${id}: docs must be a string`);
    const major = Number(match![2]);
    const migratesFrom = cap.migratesFrom ?? [];
    if (migratesFrom.some((m) => !Number.isInteger(m) || m < 1 || m >= major)) {
      fail(`${id}: migratesFrom lists older majors only (1 to ${major - 1})`);
    }
    if (migratesFrom.length > 0 && typeof cap.migrate !== "function") {
      fail(`${id}: migratesFrom needs a migrate(fromMajor, config) function`);
    }
    capabilities.push({
      ...(migratesFrom.length > 0 ? { migratesFrom: [...migratesFrom] } : {}),
      kind: cap.kind,
      key: match![1]!,
      major,
      configSchema: jsonCopy(cap.configSchema, `${id}.configSchema`, fail),
      outputsSchema: jsonCopy(cap.outputsSchema ?? {}, `${id}.outputsSchema`, fail),
      docs: cap.docs ?? "",
    });
  }
  if (capabilities.length === 0) fail("at least one capability is required");
  const permissions: PluginPermission[] = [];
  const seen = new Set<string>();
  for (const perm of spec.permissions ?? []) {
    if (!isPermissionName(perm?.name)) {
      fail(`unknown permission ${JSON.stringify(perm?.name)} (one of ${PERMISSION_NAMES.join(", ")})`);
    }
    if (seen.has(perm.name)) fail(`permission ${perm.name} is listed twice`);
    seen.add(perm.name);
    if (typeof perm.reason !== "string" || perm.reason.trim() === "")
      fail(`permission ${perm.name} needs a reason`);
    if (perm.hosts !== undefined && perm.name !== "fetch")
      fail(`permission ${perm.name}: hosts is for fetch only`);
    if (perm.name === "fetch" && (!Array.isArray(perm.hosts) || perm.hosts.length === 0)) {
      fail("permission fetch needs hosts (the egress allowlist)");
    }
    const out: PluginPermission = { name: perm.name, reason: perm.reason };
    if (perm.hosts !== undefined) out.hosts = [...perm.hosts];
    if (perm.requiresApproval !== undefined) out.requiresApproval = perm.requiresApproval === true;
    permissions.push(out);
  }
  const manifest: PluginManifest = {
    name: spec.name,
    version: spec.version,
    apiVersion: PLUGIN_API_VERSION,
    capabilities,
    permissions,
  };
  if (spec.limits !== undefined) manifest.limits = { ...spec.limits };
  return manifest;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function jsonCopy(value: JsonSchema, where: string, fail: (m: string) => never): JsonSchema {
  try {
    return JSON.parse(JSON.stringify(value)) as JsonSchema;
  } catch {
    return fail(`${where} is not JSON`);
  }
}

/**
 * Validates a manifest read from a package (`latchflow-plugin.json`, untrusted JSON) with the same rules as
 * `definePlugin`, and returns a clean copy.
 */
export function parseManifest(value: unknown): PluginManifest {
  const fail = (message: string): never => {
    throw new PluginDefinitionError(`latchflow-plugin.json: ${message}`);
  };
  if (!isPlainObject(value)) fail("must be a JSON object");
  const v = value as Record<string, unknown>;
  if (typeof v.apiVersion !== "string" || !SUPPORTED_PLUGIN_API_VERSIONS.includes(v.apiVersion)) {
    throw new PluginApiVersionError(v.apiVersion);
  }
  if (!Array.isArray(v.capabilities)) fail("capabilities must be a list");
  const capabilities: Record<string, CapabilitySpec> = {};
  for (const c of v.capabilities as unknown[]) {
    if (!isPlainObject(c)) fail("each capability must be an object");
    const cap = c as Record<string, unknown>;
    const id = `${String(cap.key)}@${String(cap.major)}`;
    if (Object.hasOwn(capabilities, id)) fail(`capability ${id} is declared twice`);
    capabilities[id] = {
      kind: cap.kind as CapabilityKind,
      configSchema: cap.configSchema as JsonSchema,
      outputsSchema: cap.outputsSchema as JsonSchema,
      docs: cap.docs as string,
      run: () => null,
      ...(cap.migratesFrom !== undefined
        ? {
            migratesFrom: cap.migratesFrom as number[],
            migrate: (_from: number, config: JsonObject) => config,
          }
        : {}),
    };
  }
  return buildManifest({
    name: v.name as string,
    version: v.version as string,
    capabilities,
    ...(v.permissions !== undefined ? { permissions: v.permissions as PluginPermission[] } : {}),
    ...(v.limits !== undefined ? { limits: v.limits as PluginLimits } : {}),
  });
}
