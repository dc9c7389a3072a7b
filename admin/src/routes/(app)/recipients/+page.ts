import type { schemas } from "@latchflow/api";
import { isRedirect } from "@sveltejs/kit";
import { genericMessage } from "#lib/errors.js";
import { readableRecipients } from "#lib/recipients-data.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/** Every recipient the user may see; a failure is shown on the page (with a way to try again), not as an error page. */
export const load: PageLoad = async ({ url, depends, parent }) => {
  depends("app:recipients");
  const { me } = await parent();
  try {
    const recipients: schemas.Recipient[] = await requireSession(url, () => readableRecipients(me));
    return { recipients, loadError: undefined };
  } catch (err) {
    if (isRedirect(err)) throw err;
    return { recipients: [] as schemas.Recipient[], loadError: genericMessage(err) };
  }
};
