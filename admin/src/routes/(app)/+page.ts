import { Scope } from "@latchflow/api/scopes";
import { can } from "#lib/access.js";
import { api } from "#lib/api.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/** The dashboard: the figures of the last 30 days, if the user may see bundles or pipelines at all. */
export const load: PageLoad = async ({ url, parent, depends }) => {
  depends("app:dashboard");
  const { me } = await parent();
  if (!can(me, Scope.BundlesRead) && !can(me, Scope.PipelinesWrite)) return { stats: null };
  const stats = await requireSession(url, () => api.getStatsOverview({ query: { days: 30, top: 5 } }));
  return { stats };
};
