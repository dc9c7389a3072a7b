import { api } from "#lib/api.js";
import { loadOrNotFound, runsQuery } from "#lib/load-runs.js";
import type { PageLoad } from "./$types";

/** A page of the pipeline's runs, newest first, filtered by the status in the address. */
export const load: PageLoad = async ({ url, params, depends }) => {
  depends("app:runs");
  const { status, cursor, query } = runsQuery(url);
  const page = await loadOrNotFound(url, `pipeline named “${params.name}”`, () =>
    api.listPipelineRuns({ params: { name: params.name }, query }),
  );
  return { name: params.name, runs: page.items, nextCursor: page.nextCursor, status, older: !!cursor };
};
