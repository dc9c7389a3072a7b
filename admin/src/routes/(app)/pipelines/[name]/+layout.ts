import { ApiError } from "@latchflow/api/client";
import { Scope } from "@latchflow/api/scopes";
import { can } from "#lib/access.js";
import { api } from "#lib/api.js";
import { requireSession } from "#lib/session.js";
import type { LayoutLoad } from "./$types";

/**
 * One pipeline, for all its tabs: its stored state and source text when the user may change it; for someone who
 * may only run it, just its name (the Runs and Triggers tabs load what they show). A pipeline that is not there or
 * not for this user comes back as `refused`, which the layout says instead of showing the tabs.
 */
export const load: LayoutLoad = async ({ params, url, depends, parent }) => {
  depends("app:pipeline");
  const { me } = await parent();
  const name = params.name;
  const mayWrite = can(me, Scope.PipelinesWrite, name);
  const mayRun = can(me, Scope.PipelinesRun, name);
  const none = { pipeline: undefined, source: undefined };
  if (!mayWrite) {
    const refused = mayRun ? undefined : ("forbidden" as const);
    return { name, mayWrite, mayRun, refused, ...none };
  }
  try {
    const [pipeline, source] = await requireSession(url, () =>
      Promise.all([
        api.getPipeline({ params: { name }, query: { format: "json" } }),
        api.getPipeline({ params: { name } }),
      ]),
    );
    if (pipeline instanceof Response || !(source instanceof Response)) throw new Error("Unexpected answer");
    return { name, mayWrite, mayRun, refused: undefined, pipeline, source: await source.text() };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 403)) {
      const refused = err.status === 404 ? ("missing" as const) : ("forbidden" as const);
      return { name, mayWrite: false, mayRun: false, refused, ...none };
    }
    throw err;
  }
};
