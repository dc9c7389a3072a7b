import { api } from "#lib/api.js";
import { orRefused } from "#lib/load.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/** Built-in and installed plugins, or the server's refusal (no plugins:admin). */
export const load: PageLoad = async ({ url, depends }) => {
  depends("app:plugins");
  const plugins = await requireSession(url, () => orRefused(async () => (await api.listPlugins()).items));
  return { plugins };
};
