import { Scope } from "@latchflow/api/scopes";
import { can } from "#lib/access.js";
import { type Library, loadLibrary } from "#lib/file-list.js";
import type { PageLoad } from "./$types";

/**
 * The library, for the names and folders of the bundle's files and for adding more; not awaited (the contents show
 * at once, names as they come). Without files:read there is no library: the contents show their paths only.
 */
export const load: PageLoad = async ({ parent }) => {
  const { me } = await parent();
  const library: Promise<Library> | undefined = can(me, Scope.FilesRead) ? loadLibrary() : undefined;
  return { library };
};
