import { api } from "#lib/api.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

export const load: PageLoad = async ({ url, depends }) => {
  depends("app:sessions");
  const { items } = await requireSession(url, () => api.listSessions());
  return { sessions: items };
};
