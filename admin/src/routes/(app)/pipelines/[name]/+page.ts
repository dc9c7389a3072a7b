import { loadEditorData } from "#lib/pipeline/editor-data.js";
import type { PageLoad } from "./$types";

/** The Edit tab: the capabilities and the pickers' choices (the pipeline itself comes with the layout). */
export const load: PageLoad = async ({ url, parent }) => {
  const { me, mayWrite } = await parent();
  if (!mayWrite) return { capabilities: [], bundles: [], recipients: [] };
  return loadEditorData(me, url);
};
