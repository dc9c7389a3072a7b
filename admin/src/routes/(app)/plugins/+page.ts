import { api } from "#lib/api.js";
import { orRefused } from "#lib/load.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/** Built-in and installed plugins and the trusted publisher keys, or the server's refusal (no plugins:admin). */
export const load: PageLoad = async ({ url, depends }) => {
  depends("app:plugins");
  return requireSession(url, async () => {
    const [plugins, keys] = await Promise.all([
      orRefused(async () => (await api.listPlugins()).items),
      orRefused(async () => (await api.listPublisherKeys()).items),
    ]);
    return { plugins, keys };
  });
};
