import { ApiError } from "@latchflow/api/client";
import { ErrorCode } from "@latchflow/api/errors";
import { error } from "@sveltejs/kit";

/** Every item of a paged list: pages of 200 until `nextCursor` is null (the tables sort and page in the browser). */
export async function allPages<T>(
  page: (query: { limit: number; cursor?: string }) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await page({ limit: 200, ...(cursor ? { cursor } : {}) });
    items.push(...next.items);
    cursor = next.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

/** What a page shows when the server refused it: its own words (403), never an error page. */
export type Refusable<T> = { ok: true; value: T } | { ok: false; refused: string };

/**
 * Runs a load's call; a refusal (403) becomes the server's message for the page to show, and "no such thing" (404)
 * the app's "Page not found".
 */
export async function orRefused<T>(call: () => Promise<T>): Promise<Refusable<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    if (err instanceof ApiError && err.code === ErrorCode.PermissionDenied)
      return { ok: false, refused: err.message };
    if (err instanceof ApiError && err.status === 404) error(404, err.message);
    throw err;
  }
}
