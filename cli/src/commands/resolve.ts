import type { ApiClient } from "./command.js";
import { CliError, ExitCode, usageError } from "./exit-codes.js";

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

type Page<T> = { items: T[]; nextCursor: string | null };

/** With `--all`, every item (following pages); otherwise the one page `--limit` and `--cursor` ask for. */
export async function pageOrAll<T>(
  options: { all?: boolean; limit?: string; cursor?: string },
  page: (query: { limit?: number; cursor?: string }) => Promise<Page<T>>,
): Promise<Page<T>> {
  if (options.all) {
    const items = await listAll((cursor) => page({ limit: 200, ...(cursor ? { cursor } : {}) }));
    return { items, nextCursor: null };
  }
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  return await page({ ...(limit ? { limit } : {}), ...(options.cursor ? { cursor: options.cursor } : {}) });
}

/** A bundle by id or by exact name: its id. Exit 4 with a hint when no bundle has that name. */
export async function bundleId(api: ApiClient, ref: string): Promise<string> {
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

/** A recipient by id or by email (exact, case-insensitive): its id. Exit 4 with a hint when there is none. */
export async function recipientId(api: ApiClient, ref: string): Promise<string> {
  if (isId(ref)) return ref;
  const email = ref.trim().toLowerCase();
  const found = (await api.listRecipients({ query: { q: email, limit: 200 } })).items.find(
    (r) => r.email.toLowerCase() === email,
  );
  if (!found) {
    throw new CliError(
      `no recipient ${ref}`,
      ExitCode.NotFound,
      `add them first: \`latchflow recipients add ${ref}\``,
      "not_found",
    );
  }
  return found.id;
}

/** "7d", "12h", "30m", "90s" or plain seconds → seconds. */
export function parseDuration(text: string, what: string, command: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!m) throw usageError(`${what} must be like 7d, 12h, 30m or 90s (got "${text}")`, command);
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as "" | "s" | "m" | "h" | "d"];
  return Number(m[1]) * unit;
}

/** A non-negative integer option. */
export function parseCount(text: string | undefined, what: string, command: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw usageError(`${what} must be a whole number (got "${text}")`, command);
  return Number(text);
}
