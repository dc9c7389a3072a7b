import type { schemas } from "@latchflow/api";
import { isApiError } from "@latchflow/api/client";
import { isRedirect } from "@sveltejs/kit";
import { api } from "#lib/api.js";
import { genericMessage } from "#lib/errors.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/** One recipient and the bundles assigned to them (those this user may read); failures are shown on the page. */
export const load: PageLoad = async ({ url, params, depends }) => {
  depends("app:recipient");
  try {
    const [recipient, assigned] = await requireSession(url, () =>
      Promise.all([
        api.getRecipient({ params: { id: params.id } }),
        api.listRecipientAssignments({ params: { id: params.id } }),
      ]),
    );
    return { recipient, assignments: assigned.items, loadError: undefined, missing: false };
  } catch (err) {
    if (isRedirect(err)) throw err;
    const missing = isApiError(err) && (err.status === 404 || err.status === 422);
    return {
      recipient: undefined,
      assignments: [] as schemas.RecipientAssignment[],
      loadError: missing ? undefined : genericMessage(err),
      missing,
    };
  }
};
