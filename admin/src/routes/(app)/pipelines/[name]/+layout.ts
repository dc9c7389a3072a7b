import { ApiError } from "@latchflow/api/client";
import { Scope } from "@latchflow/api/scopes";
import { error } from "@sveltejs/kit";
import { can } from "#lib/access.js";
import { api } from "#lib/api.js";
import { requireSession } from "#lib/session.js";
import type { LayoutLoad } from "./$types";

/**
 * One pipeline, for all its tabs: its stored state and source text when the user may change it; for someone who
 * may only run it, just its name (the Runs and Triggers tabs load what they show).
 */
export const load: LayoutLoad = async ({ params, url, depends, parent }) => {
  depends("app:pipeline");
  const { me } = await parent();
  const name = params.name;
  const mayWrite = can(me, Scope.PipelinesWrite, name);
  const mayRun = can(me, Scope.PipelinesRun, name);
  if (!mayWrite) {
    if (!mayRun) error(403, `You may not open the pipeline “${name}”. Ask an owner or admin for access.`);
    return { name, mayWrite, mayRun, pipeline: undefined, source: undefined };
  }
  try {
    const [pipeline, source] = await requireSession(url, () =>
      Promise.all([
        api.getPipeline({ params: { name }, query: { format: "json" } }),
        api.getPipeline({ params: { name } }),
      ]),
    );
    if (pipeline instanceof Response || !(source instanceof Response)) error(500, "Unexpected answer");
    return { name, mayWrite, mayRun, pipeline, source: await source.text() };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) error(404, `There is no pipeline called “${name}”.`);
    if (err instanceof ApiError && err.status === 403) error(403, `You may not open the pipeline “${name}”.`);
    throw err;
  }
};
