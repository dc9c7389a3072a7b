import { ApiError } from "@latchflow/api/client";
import { Scope } from "@latchflow/api/scopes";
import { can } from "#lib/access.js";
import { api } from "#lib/api.js";
import { apiFilter, filtersFrom, AUDIT_PAGE_SIZE as PAGE_SIZE } from "#lib/audit-filter.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/** One page of listAuditRecords: records, the cursor of the next page, the names of their actors and subjects. */
export type AuditPage = Awaited<ReturnType<typeof api.listAuditRecords>>;

/** A refusal of the filters (422): the message and the fields it names. */
export interface FilterRefusal {
  message: string;
  issues: { path: string; message: string }[];
}

/**
 * The first page of the audit log under the filters of the address (newest first), or from record `seq` down
 * when the address names one (the link to a broken record).
 */
export const load: PageLoad = async ({ url, parent, depends }) => {
  depends("app:audit");
  const filters = filtersFrom(url);
  const seq = Number(url.searchParams.get("seq")) || undefined;
  const none = { filters, seq, first: null as AuditPage | null, refusal: null as FilterRefusal | null };
  if (!can((await parent()).me, Scope.AuditRead)) return none;
  try {
    const first = await requireSession(url, () =>
      api.listAuditRecords({
        query: { ...apiFilter(filters), limit: PAGE_SIZE, ...(seq ? { seq } : {}) },
      }),
    );
    return { ...none, first };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 422 || err.status === 400)) {
      const issues = Array.isArray(err.details.issues) ? (err.details.issues as FilterRefusal["issues"]) : [];
      return { ...none, refusal: { message: err.message, issues } };
    }
    throw err;
  }
};
