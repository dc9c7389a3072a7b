import type { schemas } from "@latchflow/api";
import { Scope } from "@latchflow/api/scopes";
import { can } from "#lib/access.js";
import { api } from "#lib/api.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/** Every pipeline the user may change (the table filters, sorts and pages them itself). */
export const load: PageLoad = async ({ url, depends, parent }) => {
  depends("app:pipelines");
  const pipelines: schemas.Pipeline[] = [];
  // nothing granted: the page says whom to ask (the server would refuse the list)
  if (!can((await parent()).me, Scope.PipelinesWrite)) return { pipelines };
  pipelines.push(...(await requireSession(url, () => api.listPipelines())).items);
  return { pipelines };
};
