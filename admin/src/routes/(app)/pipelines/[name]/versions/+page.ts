import type { schemas } from "@latchflow/api";
import { api } from "#lib/api.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/** Every stored version of the pipeline, newest first, with its source text. */
export const load: PageLoad = async ({ url, parent, depends }) => {
  depends("app:pipeline");
  const { name, mayWrite } = await parent();
  const versions: schemas.PipelineVersion[] = mayWrite
    ? (await requireSession(url, () => api.listPipelineVersions({ params: { name } }))).items
    : [];
  return { versions };
};
