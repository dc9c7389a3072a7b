import { ApiError } from "@latchflow/api/client";
import { error } from "@sveltejs/kit";
import { api } from "#lib/api.js";
import { m } from "#lib/paraglide/messages.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

export const load: PageLoad = async ({ url, params }) => {
  try {
    return { bundle: await requireSession(url, () => api.getPortalBundle({ params: { id: params.id } })) };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) error(404, m.bundle_not_found());
    throw err;
  }
};
