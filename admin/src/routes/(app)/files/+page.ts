import { Scope } from "@latchflow/api/scopes";
import { can } from "#lib/access.js";
import { type Library, loadLibrary } from "#lib/file-list.js";
import type { PageLoad } from "./$types";

/**
 * Every file the user may see. Not awaited: the page shows that it is loading (a large library takes a while) and
 * keeps what it shows while it loads again. The folder and the search live in the page (no reload per folder).
 */
export const load: PageLoad = async ({ depends, parent }) => {
  depends("app:files");
  const { me } = await parent();
  const library: Promise<Library> = can(me, Scope.FilesRead) ? loadLibrary() : Promise.resolve({ files: [] });
  return { library };
};
