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

const NAME = "[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?";
/** Regular expression source accepted for `uses` (also used by the JSON Schema). */
export const USES_PATTERN = `^(?:(${NAME})/)?(${NAME})@(0|[1-9][0-9]{0,5})$`;
const USES = new RegExp(USES_PATTERN);

/** Parses `<capability>@<major>` (built-in) or `<plugin>/<capability>@<major>` (third-party). */
export function parseUses(text: string): UsesResult {
  const m = USES.exec(text);
  if (!m) {
    return {
      ok: false,
      message: `"${text}" is not a capability reference; expected <capability>@<major> or <plugin>/<capability>@<major>`,
    };
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
