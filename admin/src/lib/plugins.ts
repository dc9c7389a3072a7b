import type { schemas } from "@latchflow/api";

type Plugin = schemas.Plugin;

/** A requested host is a pattern when it names more than one host: `*` (any) or `*.example.org`. */
export const isPattern = (host: string) => host.includes("*");

/** A pattern in words ("any host", "any host under example.org"). */
export function describeHostPattern(host: string): string {
  if (host === "*") return "any host";
  if (host.startsWith("*.")) return `any host under ${host.slice(2)}`;
  return host;
}

/**
 * The egress hosts of a plugin as the approval form shows them: every host the manifest asks for by name (approved
 * or not), the patterns under which an admin names a concrete host, and the approved hosts that are not requested by
 * name (approved under a pattern). `*` itself is never approvable as written (the server says the same).
 */
export function hostRows(p: Pick<Plugin, "requestedHosts" | "approvedHosts">) {
  const approved = new Set(p.approvedHosts);
  return {
    /** requested as written (exact hosts, and `*.x` as a whole) */
    asWritten: p.requestedHosts
      .filter((h) => h !== "*")
      .map((host) => ({ host, approved: approved.has(host) })),
    /** patterns under which a concrete host may be approved */
    patterns: p.requestedHosts.filter(isPattern),
    /** approved hosts the manifest does not name as written */
    others: p.approvedHosts.filter((h) => !p.requestedHosts.includes(h)),
  };
}

/** The approved list with `host` added or removed (what PATCH approvedHosts sends: the whole list). */
export function withHost(approved: readonly string[], host: string, on: boolean): string[] {
  const h = host.trim().toLowerCase();
  const rest = approved.filter((a) => a !== h);
  return on ? [...rest, h].sort() : rest;
}

/** The manifest's permissions, for the "what it asks for" list (the contract passes the manifest as is). */
export function manifestPermissions(
  p: Pick<Plugin, "manifest">,
): { name: string; reason: string; hosts: string[] }[] {
  const m = p.manifest as { permissions?: unknown } | null;
  if (!m || !Array.isArray(m.permissions)) return [];
  return m.permissions.flatMap((x: unknown) => {
    const q = x as { name?: unknown; reason?: unknown; hosts?: unknown };
    if (typeof q.name !== "string") return [];
    return [
      {
        name: q.name,
        reason: typeof q.reason === "string" ? q.reason : "",
        hosts: Array.isArray(q.hosts) ? q.hosts.filter((h): h is string => typeof h === "string") : [],
      },
    ];
  });
}

/** Where a plugin came from, in words. */
export const SOURCE_LABEL: Readonly<Record<Plugin["source"], string>> = {
  builtin: "Built in",
  tarball: "Uploaded package",
  registry: "npm registry",
};

/**
 * Who signed a plugin's package, in words (ADR 042): "signed by <the name an admin trusted the key under>",
 * "signed, key not trusted", "unsigned"; built-ins ship with the server.
 */
export function signatureLabel(p: Pick<Plugin, "signature">): string {
  const s = p.signature;
  if (s === null) return "Built in";
  if (s.state === "trusted") return `Signed by ${s.publisher}`;
  if (s.state === "untrusted") return "Signed, key not trusted";
  return "Unsigned";
}

/** A capability summary for the list: "2 of 3 enabled". */
export function enabledSummary(p: Pick<Plugin, "capabilities">): string {
  const on = p.capabilities.filter((c) => c.enabled).length;
  return `${on} of ${p.capabilities.length} enabled`;
}

/** The host capabilities a manifest may ask for, in words (plugin-sdk's PermissionName). */
const PERMISSION_LABEL: Readonly<Record<string, string>> = {
  fetch: "Reach hosts on the network",
  "mail.send": "Send email",
  "bundles.grant": "Grant bundles to recipients",
  "links.publish": "Publish download links",
  kv: "Keep its own small records",
  secrets: "Read the secrets you set for it",
  log: "Write to the server log",
  emit: "Emit events",
};

export const permissionLabel = (name: string): string => PERMISSION_LABEL[name] ?? name;

/**
 * What an install answer means, in a sentence: a new plugin starts disabled; an upgrade says what stayed enabled and
 * what waits for the admin because the new version asks for more (enabling it again is the approval).
 */
export function installedMessage(p: schemas.InstalledPlugin): string {
  const warned = (p.warnings ?? []).map((w) => ` Warning: ${w}.`).join("");
  const u = p.upgrade;
  if (!u) return `Installed ${p.name} ${p.version}. Its capabilities start disabled.${warned}`;
  const head = `Upgraded ${p.name} from ${u.from} to ${p.version}.`;
  const parts = [head];
  if (u.awaitingApproval.length > 0) {
    const asks = u.newPermissions.map((n) => (n.hosts.length ? `${n.name} (${n.hosts.join(", ")})` : n.name));
    parts.push(
      `It asks for more (${asks.join("; ")}): ${u.awaitingApproval.join(", ")} wait disabled until you enable them.`,
    );
  }
  if (u.kept.length > 0) parts.push(`Still enabled: ${u.kept.join(", ")}.`);
  if (u.removed.length > 0) parts.push(`No longer there: ${u.removed.join(", ")}.`);
  return parts.join(" ") + warned;
}
