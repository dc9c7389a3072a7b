import { Scope } from "@latchflow/api/scopes";
import { loadEditorData } from "#lib/pipeline/editor-data.js";
import type { PageLoad } from "./$types";

/** A new pipeline: the capabilities and the pickers' choices (nothing for someone who may not create one). */
export const load: PageLoad = async ({ url, parent }) => {
  const { me } = await parent();
  const mayCreate = me.effective[Scope.PipelinesWrite] === "all";
  return {
    mayCreate,
    ...(mayCreate ? await loadEditorData(me, url) : { capabilities: [], bundles: [], recipients: [] }),
  };
};
