import type { schemas } from "@latchflow/api";
import { isRedirect } from "@sveltejs/kit";
import { api } from "#lib/api.js";
import { genericMessage } from "#lib/errors.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/** The bundle's publish links, newest first; a failure is shown on the page with a way to try again. */
export const load: PageLoad = async ({ params, url, depends }) => {
  depends("app:links");
  try {
    const { items } = await requireSession(url, () => api.listPublishLinks({ params: { id: params.id } }));
    return { links: items, failure: undefined };
  } catch (err) {
    if (isRedirect(err)) throw err; // to sign in
    const none: schemas.PublishLink[] = [];
    return { links: none, failure: genericMessage(err) };
  }
};
