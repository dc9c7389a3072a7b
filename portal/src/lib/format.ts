import { getLocale } from "#lib/paraglide/runtime.js";

/** Sizes in the reader's locale and units: "1.4 MB", "1,4 MB", "١٫٤ ميغابايت". */
export function formatSize(bytes: number, locale: string = getLocale()): string {
  const units = ["byte", "kilobyte", "megabyte", "gigabyte", "terabyte"] as const;
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return new Intl.NumberFormat(locale, {
    style: "unit",
    unit: units[i],
    unitDisplay: i === 0 ? "long" : "short",
    maximumFractionDigits: i === 0 || value >= 100 ? 0 : 1,
  }).format(value);
}

/** A date and time people read without thinking: "1 March 2027 at 09:00". */
export function formatDate(iso: string | Date, locale: string = getLocale()): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeStyle: "short" }).format(new Date(iso));
}

const UNITS = [
  ["day", 86_400],
  ["hour", 3_600],
  ["minute", 60],
  ["second", 1],
] as const;

/**
 * A duration in words, the two largest units: "3 days, 4 hours", "12 minutes, 5 seconds". Localized plurals come
 * from Intl (Arabic has six forms).
 */
export function formatDuration(ms: number, locale: string = getLocale()): string {
  let seconds = Math.max(0, Math.ceil(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    const n = Math.floor(seconds / size);
    if (n > 0 || (unit === "second" && parts.length === 0)) {
      parts.push(new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "long" }).format(n));
      seconds -= n * size;
    }
    if (parts.length === 2) break;
    // "2 days" then the hours, but never "2 days, 0 hours, 3 minutes" skipping a unit
    if (parts.length === 1 && n === 0) break;
  }
  return new Intl.ListFormat(locale, { style: "long", type: "unit" }).format(parts);
}
