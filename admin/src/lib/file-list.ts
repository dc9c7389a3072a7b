import type { schemas } from "@latchflow/api";
import { api } from "./api.js";
import { genericMessage, isUnauthenticated } from "./errors.js";

type FileObject = schemas.FileObject;

/** Every file the user may see (all pages of listFiles): the pages filter, sort and page them themselves. */
export async function listAllFiles(): Promise<FileObject[]> {
  const files: FileObject[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.listFiles({ query: { limit: 200, ...(cursor ? { cursor } : {}) } });
    files.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return files;
}

/** What loading the library came to: the files, or why not (a lost session sends the person to sign in). */
export type Library = { files: FileObject[] } | { failure: string; unauthenticated: boolean };

/** {@link listAllFiles}, never failing: for pages that show their own loading and error states. */
export const loadLibrary = (): Promise<Library> =>
  listAllFiles().then(
    (files) => ({ files }),
    (err: unknown) => ({ failure: genericMessage(err), unauthenticated: isUnauthenticated(err) }),
  );

/** Files whose name contains the search, case ignored (as the server's `?q=` matches), or all for no search. */
export function matching<T extends { name: string }>(files: readonly T[], search: string): T[] {
  const q = search.trim().toLocaleLowerCase("en");
  return q ? files.filter((f) => f.name.toLocaleLowerCase("en").includes(q)) : [...files];
}

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });
/** Orders files as a folder listing does: by folder, then by name, as people read them (numbers inside). */
export const byPlace = (a: { folder: string; name: string }, b: { folder: string; name: string }): number =>
  collator.compare(a.folder, b.folder) || collator.compare(a.name, b.name);

/** “1 file”, “3 files”; any noun with a plain plural. */
export const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
