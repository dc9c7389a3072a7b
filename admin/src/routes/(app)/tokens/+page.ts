import { Scope } from "@latchflow/api/scopes";
import { can } from "#lib/access.js";
import { api } from "#lib/api.js";
import { allPages, orRefused } from "#lib/load.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/**
 * The user's API tokens; with `?all=true` (users:admin) those of every user they may manage, with their emails.
 * A refusal (no tokens:read) is the server's message for the page.
 */
export const load: PageLoad = async ({ url, depends, parent }) => {
  depends("app:tokens");
  const { me } = await parent();
  const all = url.searchParams.get("all") === "true" && can(me, Scope.UsersAdmin);
  const tokens = await requireSession(url, () =>
    orRefused(async () => (await api.listTokens({ query: all ? { all: "true" } : {} })).items),
  );
  const emails: Record<string, string> = { [me.id]: me.email };
  if (all) {
    for (const u of await allPages((query) => api.listUsers({ query }))) emails[u.id] = u.email;
  }
  return { tokens, all, emails };
};
