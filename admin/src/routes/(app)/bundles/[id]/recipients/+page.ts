import type { schemas } from "@latchflow/api";
import { isRedirect } from "@sveltejs/kit";
import { api } from "#lib/api.js";
import { genericMessage } from "#lib/errors.js";
import { readableRecipients } from "#lib/recipients-data.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/**
 * The bundle's assignments (the layout loads the bundle), and the recipients this user may see, to name them and to
 * pick whom to assign. A failure is shown on the page; recipients the user may not read are named by id.
 */
export const load: PageLoad = async ({ url, params, depends, parent }) => {
  depends("app:assignments");
  const { me } = await parent();
  try {
    const assigned = await requireSession(url, () => api.listAssignments({ params: { id: params.id } }));
    let recipients: schemas.Recipient[] = [];
    let recipientsError: string | undefined;
    try {
      recipients = await readableRecipients(me);
    } catch (err) {
      recipientsError = genericMessage(err);
    }
    return { assignments: assigned.items, recipients, recipientsError, loadError: undefined };
  } catch (err) {
    if (isRedirect(err)) throw err;
    return {
      assignments: [] as schemas.Assignment[],
      recipients: [] as schemas.Recipient[],
      recipientsError: undefined,
      loadError: genericMessage(err),
    };
  }
};
