/** Result of {@link parseDuration}: milliseconds, or a message saying what is wrong. */
export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: readonly Unit[] = ["w", "d", "h", "m", "s", "ms"];

const COMPACT = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const COMPACT_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
const ISO =
  /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

const HINT = "expected e.g. 30d, 1h30m, 90s, 500ms or ISO 8601 such as P1DT2H, PT15M";

/**
 * Parses a duration: compact units (`30d`, `1h30m`, `90s`, `500ms`, `2w`; units w d h m s ms, each at
 * most once, largest first) or ISO 8601 (`P1DT2H`, `PT15M`, `P2W`, `PT0.5S`). Years and months are
 * refused because they have no fixed length. Never throws.
 */
export function parseDuration(text: string): DurationResult {
  const input = text.trim();
  if (input === "") return { ok: false, message: `empty duration; ${HINT}` };
  if (input.startsWith("P") || input.startsWith("p")) return parseIso(input.toUpperCase(), text);
  if (!COMPACT.test(input)) return { ok: false, message: `"${text}" is not a duration; ${HINT}` };
  let ms = 0;
  let last = -1;
  for (const [, amount, unit] of input.matchAll(COMPACT_PART)) {
    const order = UNIT_ORDER.indexOf(unit as Unit);
    if (order <= last) {
      return { ok: false, message: `"${text}": units must appear once each, largest first (e.g. 1h30m)` };
    }
    last = order;
    ms += Number(amount) * UNIT_MS[unit as Unit];
  }
  return finish(ms, text);
}

function parseIso(input: string, text: string): DurationResult {
  const m = ISO.exec(input);
  if (!m || input === "P" || input.endsWith("T")) {
    return { ok: false, message: `"${text}" is not an ISO 8601 duration; ${HINT}` };
  }
  if (m[1] !== undefined || m[2] !== undefined) {
    return {
      ok: false,
      message: `"${text}": years and months have no fixed length; use days (D) or weeks (W)`,
    };
  }
  const n = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]));
  const ms = n(3) * UNIT_MS.w + n(4) * UNIT_MS.d + n(5) * UNIT_MS.h + n(6) * UNIT_MS.m + n(7) * UNIT_MS.s;
  return finish(ms, text);
}

function finish(ms: number, text: string): DurationResult {
  if (!Number.isSafeInteger(Math.round(ms))) return { ok: false, message: `"${text}" is too long` };
  return { ok: true, ms: Math.round(ms) };
}

/**
 * Formats milliseconds for display in the compact form accepted by {@link parseDuration}, using days as
 * the largest unit: `5_400_000` → `1h30m`, `0` → `0s`. Negative or fractional input is rounded toward
 * zero and signed with `-`.
 */
export function formatDuration(ms: number): string {
  let rest = Math.trunc(Math.abs(ms));
  if (rest === 0) return "0s";
  let out = "";
  for (const unit of ["d", "h", "m", "s", "ms"] as const) {
    const size = UNIT_MS[unit];
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return ms < 0 ? `-${out}` : out;
}
