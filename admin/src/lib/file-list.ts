import type { schemas } from "@latchflow/api";
import { api } from "./api.js";

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

/** Files whose name contains the search, case ignored (as the server's `?q=` matches), or all for no search. */
export function matching<T extends { name: string }>(files: readonly T[], search: string): T[] {
  const q = search.trim().toLocaleLowerCase("en");
  return q ? files.filter((f) => f.name.toLocaleLowerCase("en").includes(q)) : [...files];
}

/** “1 file”, “3 files”; any noun with a plain plural. */
export const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
