import type { Client } from "@latchflow/api";
import { CliError, ExitCode } from "./exit-codes.js";

const ID = /^[0-9A-Za-z]{26}$/;

/** Whether a reference given on the command line is an id (otherwise it is a name). */
export const isId = (ref: string) => ID.test(ref);

/** Every item of a paged collection, following nextCursor. */
export async function listAll<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    all.push(...p.items);
    cursor = p.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

/** A bundle by id or by exact name: its id. Exit 4 with a hint when no bundle has that name. */
export async function bundleId(api: Client, ref: string): Promise<string> {
  if (isId(ref)) return ref;
  const all = await listAll((cursor) =>
    api.listBundles({ query: { limit: 200, ...(cursor ? { cursor } : {}) } }),
  );
  const found = all.find((b) => b.name === ref);
  if (!found) {
    throw new CliError(
      `no bundle named "${ref}"`,
      ExitCode.NotFound,
      "list them with `latchflow bundles list`",
      "not_found",
    );
  }
  return found.id;
}
