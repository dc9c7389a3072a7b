/**
 * THE host-capability vocabulary (issue 16): one table from which the SDK's permission names, the sandbox's host
 * members and host calls, the plugin host's forwarded members and the kernel's grants are all derived.
 *
 * - a **permission** is what a manifest asks for (`"bundles.grant"`);
 * - its **member** is the property of `host` (and of `HostCapabilities`) that carries it (`host.bundles`);
 * - its **calls** are the host functions plugin code calls through it (`"bundles.grant"`, async).
 *
 * Plain data, no imports: `@latchflow/sandbox/vocabulary` is bundled into sandboxed plugins (by the SDK).
 */
export const HOST_CAPABILITIES = {
  fetch: { member: "fetch", calls: { fetch: "async" } },
  "mail.send": { member: "mail", calls: { "mail.send": "async" } },
  "bundles.grant": { member: "bundles", calls: { "bundles.grant": "async" } },
  "links.publish": { member: "links", calls: { "links.publish": "async" } },
  kv: { member: "kv", calls: { "kv.get": "async", "kv.set": "async", "kv.delete": "async" } },
  secrets: { member: "secrets", calls: { "secrets.get": "async" } },
  log: { member: "log", calls: { log: "sync" } },
  emit: { member: "emit", calls: { emit: "sync" } },
} as const satisfies Record<string, { member: string; calls: Record<string, "sync" | "async"> }>;

type Table = typeof HOST_CAPABILITIES;

/** What a manifest's `permissions[].name` may be. */
export type PermissionName = keyof Table;
/** A member of `host` / `HostCapabilities` (`"mail"`, `"kv"`, …). */
export type HostMember = Table[PermissionName]["member"];
/** The member a permission grants. */
export type MemberOf<P extends PermissionName> = Table[P]["member"];
/** A host function plugin code can call (`"kv.get"`, `"log"`, …). */
export type HostCallName = { [P in PermissionName]: keyof Table[P]["calls"] }[PermissionName];
/** Whether a host call blocks the isolate (`sync`: log, emit) or returns a promise. */
export type HostCallMode = "sync" | "async";

/** Every permission name, in table order. */
export const PERMISSION_NAMES = Object.freeze(Object.keys(HOST_CAPABILITIES) as PermissionName[]);

/** Every member, in table order. */
export const HOST_MEMBERS: readonly HostMember[] = Object.freeze(
  PERMISSION_NAMES.map((p) => HOST_CAPABILITIES[p].member),
);

/** Every host call with its mode, in table order. */
export const HOST_CALL_MODES: Readonly<Record<HostCallName, HostCallMode>> = Object.freeze(
  Object.assign({}, ...PERMISSION_NAMES.map((p) => HOST_CAPABILITIES[p].calls)),
);

/** Every host call with the member that carries it. */
const CALL_MEMBERS: Readonly<Record<string, HostMember>> = Object.freeze(
  Object.fromEntries(
    PERMISSION_NAMES.flatMap((p) =>
      Object.keys(HOST_CAPABILITIES[p].calls).map((call) => [call, HOST_CAPABILITIES[p].member]),
    ),
  ),
);

/** Whether `name` is a permission of the table. */
export function isPermissionName(name: unknown): name is PermissionName {
  return typeof name === "string" && Object.hasOwn(HOST_CAPABILITIES, name);
}

/** The member a permission grants (`"bundles.grant"` → `"bundles"`). */
export function memberOf<P extends PermissionName>(permission: P): MemberOf<P> {
  return HOST_CAPABILITIES[permission].member as MemberOf<P>;
}

/** The member that carries a host call (`"kv.get"` → `"kv"`). */
export function memberOfCall(call: HostCallName): HostMember {
  return CALL_MEMBERS[call] as HostMember;
}
