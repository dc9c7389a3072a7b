import { api } from "#lib/api.js";
import { orRefused } from "#lib/load.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/** One plugin with the names of its secrets (never their values), or the server's refusal. */
export const load: PageLoad = async ({ url, params, depends }) => {
  depends("app:plugin");
  const plugin = await requireSession(url, () =>
    orRefused(async () => {
      const [plugin, secrets] = await Promise.all([
        api.getPlugin({ params: { name: params.name } }),
        api.listPluginSecrets({ params: { name: params.name } }),
      ]);
      return { plugin, secrets: secrets.items };
    }),
  );
  return { plugin };
};
