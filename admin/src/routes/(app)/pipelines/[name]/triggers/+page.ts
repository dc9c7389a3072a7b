import { api } from "#lib/api.js";
import { loadOrNotFound } from "#lib/load-runs.js";
import type { PageLoad } from "./$types";

/** The pipeline's triggers as they stand: config, pending timers, and what each says of itself. */
export const load: PageLoad = async ({ url, params, depends }) => {
  depends("app:triggers");
  const triggers = await loadOrNotFound(url, `pipeline named “${params.name}”`, () =>
    api.listPipelineTriggers({ params: { name: params.name } }),
  );
  return { name: params.name, enabled: triggers.enabled, triggers: triggers.items };
};
