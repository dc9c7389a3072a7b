import { Scope } from "@latchflow/api/scopes";
import { can } from "#lib/access.js";
import { api } from "#lib/api.js";
import { runsQuery } from "#lib/load-runs.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/** Recent runs of every pipeline the user may read, filtered by the status in the address (failed ones first to find). */
export const load: PageLoad = async ({ url, depends, parent }) => {
  depends("app:runs");
  const { status, cursor, query } = runsQuery(url);
  // nothing granted: the page says whom to ask (the server would refuse the list)
  if (!can((await parent()).me, Scope.PipelinesWrite)) {
    return { runs: [], nextCursor: null, status, older: false, allowed: false };
  }
  const page = await requireSession(url, () => api.listRuns({ query }));
  return { runs: page.items, nextCursor: page.nextCursor, status, older: !!cursor, allowed: true };
};
