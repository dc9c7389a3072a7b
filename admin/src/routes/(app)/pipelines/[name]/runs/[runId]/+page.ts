import { api } from "#lib/api.js";
import { loadOrNotFound } from "#lib/load-runs.js";
import type { PageLoad } from "./$types";

/** One run with its steps and attempts; the page keeps reading it while it is not finished. */
export const load: PageLoad = async ({ url, params }) => {
  const run = await loadOrNotFound(url, "such run", () =>
    api.getPipelineRun({ params: { name: params.name, runId: params.runId } }),
  );
  return { name: params.name, run };
};
