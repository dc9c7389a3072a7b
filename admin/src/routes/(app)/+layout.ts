import { redirect } from "@sveltejs/kit";
import { api } from "#lib/api.js";
import { requireSession, signInPath } from "#lib/session.js";
import type { LayoutLoad } from "./$types";

/** Every page here needs a user session: who is signed in, and what they may use (role-aware navigation). */
export const load: LayoutLoad = async ({ url }) => {
  const me = await requireSession(url, () => api.getMe());
  // a recipient's portal session is not an admin session
  if (me.kind !== "user") redirect(303, signInPath(url));
  return { me };
};
