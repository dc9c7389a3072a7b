import { ApiError } from "@latchflow/api/client";
import { error } from "@sveltejs/kit";
import { parseRunStatus } from "./runs.js";
import { requireSession } from "./session.js";

/** How many runs one page of a list shows. */
export const RUNS_PAGE = 25;

/** The status filter and the cursor a runs list's address holds. */
export function runsQuery(url: URL) {
  const status = parseRunStatus(url.searchParams.get("status"));
  const cursor = url.searchParams.get("cursor")?.slice(0, 40) || undefined;
  return {
    status,
    cursor,
    query: { limit: RUNS_PAGE, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) },
  };
}

/** A load's API call for a pipeline's page: its 404 becomes the app's "not found" page. */
export async function loadOrNotFound<T>(url: URL, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await requireSession(url, call);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) error(404, `There is no ${what}.`);
    throw err;
  }
}
