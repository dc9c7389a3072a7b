import type { schemas } from "@latchflow/api";

/** Records per page of the audit viewer (each scroll to the end loads one more). */
export const AUDIT_PAGE_SIZE = 50;

/** The audit viewer's filters, as the URL carries them (so a filtered view can be shared or reloaded). */
export const AUDIT_FILTERS = [
  "type",
  "bundle",
  "recipient",
  "pipeline",
  "trigger",
  "user",
  "from",
  "to",
] as const;
export type AuditFilterKey = (typeof AUDIT_FILTERS)[number];
export type AuditFilterValues = Partial<Record<AuditFilterKey, string>>;

/** The filters set in the page's address (empty values dropped). */
export function filtersFrom(url: URL): AuditFilterValues {
  const out: AuditFilterValues = {};
  for (const key of AUDIT_FILTERS) {
    const v = url.searchParams.get(key)?.trim();
    if (v) out[key] = v;
  }
  return out;
}

/** The query string of a set of filters (in the order of AUDIT_FILTERS), without the leading "?". */
export function queryOf(filters: AuditFilterValues, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const key of AUDIT_FILTERS) if (filters[key]) params.set(key, filters[key]);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return params.toString();
}

/** The filters as the API takes them. */
export const apiFilter = (filters: AuditFilterValues): schemas.AuditFilter => ({ ...filters });

/** `<input type="datetime-local">`'s value (local time) of an ISO instant, and back. */
export function localInput(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const local = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}
export function isoOfLocal(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
