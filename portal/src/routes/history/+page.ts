import { isRedirect } from "@sveltejs/kit";
import { api } from "#lib/api.js";
import { genericMessage } from "#lib/errors.js";
import { HISTORY_PAGE } from "#lib/history.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

export const load: PageLoad = async ({ url }) => {
  try {
    const first = await requireSession(url, () =>
      api.listPortalDownloads({ query: { limit: HISTORY_PAGE } }),
    );
    return { items: first.items, nextCursor: first.nextCursor, error: null };
  } catch (err) {
    // not signed in: requireSession already redirected; anything else is said on the page with a way to retry
    if (isRedirect(err)) throw err;
    return { items: [], nextCursor: null, error: genericMessage(err) };
  }
};
