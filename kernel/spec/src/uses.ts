import { USES_PATTERN, usesProblem } from "./naming.js";

/** A parsed `uses` reference. */
export interface UsesRef {
  /** Plugin name for third-party capabilities; absent for built-ins. */
  plugin?: string;
  capability: string;
  major: number;
  /** Catalog key without the major: `email` or `acme/sms`. */
  key: string;
}

/** Result of {@link parseUses}. */
export type UsesResult = { ok: true; value: UsesRef } | { ok: false; message: string };

/** Regular expression source accepted for `uses` (also used by the JSON Schema): see naming.ts. */
export { USES_PATTERN };

const USES = new RegExp(USES_PATTERN);

/** Parses `<capability>@<major>` (built-in) or `<plugin>/<capability>@<major>` (third-party). */
export function parseUses(text: string): UsesResult {
  const m = USES.exec(text);
  if (!m) {
    return { ok: false, message: usesProblem(text) ?? `"${text}" is not a capability reference` };
  }
  // groups 2 (capability) and 3 (major) always match when the pattern does; group 1 (plugin) is optional
  const [, plugin, capability = "", major = ""] = m;
  const key = plugin === undefined ? capability : `${plugin}/${capability}`;
  return {
    ok: true,
    value: { ...(plugin === undefined ? {} : { plugin }), capability, major: Number(major), key },
  };
}

/** Formats a {@link UsesRef} (or key and major) back to its `uses` string, e.g. `acme/sms@2`. */
export function formatUses(ref: Pick<UsesRef, "key" | "major">): string {
  return `${ref.key}@${ref.major}`;
}
