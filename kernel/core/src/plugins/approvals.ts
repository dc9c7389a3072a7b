import type { PluginManifest, PluginPermission } from "@latchflow/plugin-sdk";
import { validationFailed } from "@latchflow/runtime";

/**
 * Egress approvals: a plugin's manifest asks for hosts (`fetch` permission: exact hosts, `*.suffix`, or `*` for
 * any host); an admin approves concrete hosts per plugin (PATCH /api/v1/plugins/{name}); the plugin's `fetch`
 * reaches only what was asked for AND approved. Built-ins obey the same rule: nothing approved, no egress.
 */

/** The hosts a manifest's `fetch` permission asks for. */
export const requestedHosts = (permissions: readonly PluginPermission[]): string[] =>
  permissions.filter((p) => p.name === "fetch").flatMap((p) => [...(p.hosts ?? [])]);

export const manifestHosts = (m: PluginManifest) => requestedHosts(m.permissions);

const normal = (host: string) =>
  host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");

/** Whether a concrete host falls under a requested pattern (`*`, `*.suffix` or an exact host). */
function covers(pattern: string, host: string): boolean {
  const p = normal(pattern);
  if (p === "*") return true;
  if (p.startsWith("*.")) return host.endsWith(p.slice(1)) && host.length > p.length - 1;
  return p === host;
}

/** A host an admin can approve: a hostname or IP literal (no scheme, port, path or wildcard of its own). */
const HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$|^[0-9a-f:.]+$/;

/**
 * Checks an admin's approval list against what the manifest asks for: each host must be a concrete host
 * covered by a requested pattern (an exact requested host may also be approved as written, `*.x` included).
 * Returns the normalized, deduplicated list; otherwise `validation_failed` naming the refused hosts.
 */
export function checkApproval(requested: readonly string[], hosts: readonly string[]): string[] {
  const out = new Set<string>();
  const refused: string[] = [];
  for (const raw of hosts) {
    const h = normal(raw);
    const asWritten = requested.some((r) => normal(r) === h && h !== "*");
    if (asWritten || (HOST.test(h) && requested.some((r) => covers(r, h)))) out.add(h);
    else refused.push(raw);
  }
  if (refused.length > 0) {
    throw validationFailed("Only concrete hosts the manifest asks for can be approved", {
      field: "approvedHosts",
      hosts: refused,
    });
  }
  return [...out].sort();
}

/** The egress allowlist of an invocation: approved hosts still covered by what the manifest asks for. */
export function egressAllowlist(permissions: readonly PluginPermission[], approved: readonly string[]) {
  const requested = requestedHosts(permissions);
  return approved.filter((a) =>
    requested.some((r) => normal(r) === normal(a) || (!a.includes("*") && covers(r, normal(a)))),
  );
}
