import { api } from "#lib/api.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/**
 * The queue lives in this browser, but it is the signed-in recipient's: online, a page without a session goes to
 * sign-in first. Offline nothing can be checked; the queue is shown (it is this device's, ADR 026).
 */
export const load: PageLoad = async ({ url }) => {
  if (!navigator.onLine) return {};
  try {
    await requireSession(url, () => api.getPortalMe());
  } catch (err) {
    // a network failure is being offline in all but name: show the queue; a redirect to sign-in goes on
    if (err instanceof TypeError) return {};
    throw err;
  }
  return {};
};
