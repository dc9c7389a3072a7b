import type { schemas } from "@latchflow/api";
import { Scope } from "@latchflow/api/scopes";
import { can } from "#lib/access.js";
import { api } from "#lib/api.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/** Every bundle the user may see (all pages of listBundles): the table sorts and pages them itself. */
export const load: PageLoad = async ({ url, depends, parent }) => {
  depends("app:bundles");
  const bundles: schemas.Bundle[] = [];
  // nothing granted: the page says whom to ask (the server would refuse the list)
  if (!can((await parent()).me, Scope.BundlesRead)) return { bundles };
  let cursor: string | undefined;
  do {
    const page = await requireSession(url, () =>
      api.listBundles({ query: { limit: 200, ...(cursor ? { cursor } : {}) } }),
    );
    bundles.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return { bundles };
};
