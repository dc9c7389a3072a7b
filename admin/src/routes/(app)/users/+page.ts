import { api } from "#lib/api.js";
import { allPages, orRefused } from "#lib/load.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/** Every user (all pages of listUsers), or the server's refusal when this user may not manage users. */
export const load: PageLoad = async ({ url, depends }) => {
  depends("app:users");
  const users = await requireSession(url, () =>
    orRefused(() => allPages((query) => api.listUsers({ query }))),
  );
  return { users };
};
