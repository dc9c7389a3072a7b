import { api } from "#lib/api.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

export const load: PageLoad = async ({ url }) => {
  const bundles = await requireSession(url, () => api.listPortalBundles());
  return { bundles: bundles.items };
};
