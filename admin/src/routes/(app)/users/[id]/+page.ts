import { Scope } from "@latchflow/api/scopes";
import { can } from "#lib/access.js";
import { api } from "#lib/api.js";
import { allPages, orRefused } from "#lib/load.js";
import { requireSession } from "#lib/session.js";
import type { PageLoad } from "./$types";

/** A resource a grant can name, by name (the pickers and the rules' words). */
export interface Named {
  id: string;
  name: string;
}

/**
 * One user, their grants and overrides, and their effective permissions; plus the bundles, pipelines, recipients
 * and files this admin may list, to pick and show resources by name.
 */
export const load: PageLoad = async ({ url, params, depends, parent }) => {
  depends("app:user");
  const { me } = await parent();
  const id = params.id;
  const user = await requireSession(url, () =>
    orRefused(async () => {
      const [user, permissions, access] = await Promise.all([
        api.getUser({ params: { id } }),
        api.listPermissions({ params: { id } }),
        api.getUserAccess({ params: { id } }),
      ]);
      return { user, permissions: permissions.items, access };
    }),
  );
  const none = Promise.resolve([] as Named[]);
  const [bundles, pipelines, recipients, files] = await Promise.all([
    can(me, Scope.BundlesRead)
      ? allPages((query) => api.listBundles({ query })).then((l) => l.map(({ id, name }) => ({ id, name })))
      : none,
    can(me, Scope.PipelinesWrite)
      ? api.listPipelines().then((l) => l.items.map(({ name }) => ({ id: name, name })))
      : none,
    can(me, Scope.RecipientsRead)
      ? allPages((query) => api.listRecipients({ query })).then((l) =>
          l.map(({ id, email, name }) => ({ id, name: name ? `${name} <${email}>` : email })),
        )
      : none,
    can(me, Scope.FilesRead)
      ? allPages((query) => api.listFiles({ query })).then((l) =>
          l.map(({ id, name, folder }) => ({ id, name: folder === "/" ? name : `${folder}/${name}` })),
        )
      : none,
  ]);
  return { user, resources: { bundle: bundles, pipeline: pipelines, recipient: recipients, file: files } };
};
