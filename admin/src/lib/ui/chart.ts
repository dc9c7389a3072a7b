/**
 * Shared pieces of the admin's charts (SVG drawn by Svelte, scales from d3-scale): the series a chart shows and
 * how each is told apart without colour — a fill pattern — so a chart reads the same in light, dark, greyscale
 * and for people who do not see colour. Every chart also gives its numbers as text (a description and a table).
 */
export type SeriesPattern = "solid" | "hatch";

export interface Series<K extends string = string> {
  key: K;
  /** plural noun for the numbers, e.g. "downloads" */
  label: string;
  pattern: SeriesPattern;
}

/** "3 downloads", "1 release" (English only, ADR 027). */
export function countOf(n: number, plural: string): string {
  return `${n.toLocaleString("en")} ${n === 1 ? plural.replace(/s$/, "") : plural}`;
}

/** A name cut to `max` characters with an ellipsis, an email before its domain (the whole name stays in the table and the tooltip). */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  // an email keeps its domain, which tells people apart more often than the end of a long local part
  const at = text.lastIndexOf("@");
  const domain = at > 0 ? text.slice(at) : "";
  if (domain && domain.length <= max - 4) return `${text.slice(0, max - 1 - domain.length)}…${domain}`;
  return `${text.slice(0, max - 1)}…`;
}
