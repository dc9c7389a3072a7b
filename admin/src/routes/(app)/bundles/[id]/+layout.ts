import { ApiError } from "@latchflow/api/client";
import { error } from "@sveltejs/kit";
import { api } from "#lib/api.js";
import { requireSession } from "#lib/session.js";
import type { LayoutLoad } from "./$types";

/** The bundle every tab shows (its name is the page heading); a missing or forbidden one is said so. */
export const load: LayoutLoad = async ({ params, url, depends }) => {
  depends("app:bundle");
  try {
    const bundle = await requireSession(url, () => api.getBundle({ params: { id: params.id } }));
    return { bundle };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 422))
      error(404, "There is no such bundle: it may have been deleted.");
    if (err instanceof ApiError && err.status === 403)
      error(403, "You may not open this bundle. Ask an owner or admin to grant it to you.");
    throw err;
  }
};
