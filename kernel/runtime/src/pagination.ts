import { badRequest } from "./errors.js";

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 200;

/** Opaque cursor: base64url of the sort key of the last item returned. */
export function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify({ k: key }), "utf8").toString("base64url");
}

/** Decodes a cursor from the caller; anything malformed is a bad_request, never a 500. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { k?: unknown };
    if (typeof parsed.k === "string" && parsed.k.length > 0 && parsed.k.length <= 200) return parsed.k;
  } catch {
    // fall through
  }
  throw badRequest("Invalid cursor", { field: "cursor" });
}

export function pageLimit(limit: number | undefined): number {
  if (!limit) return DEFAULT_PAGE_LIMIT;
  return Math.min(Math.max(1, Math.floor(limit)), MAX_PAGE_LIMIT);
}

/** Given `limit + 1` rows fetched, returns the page and the next cursor. */
export function toPage<T>(
  rows: T[],
  limit: number,
  key: (row: T) => string,
): { items: T[]; nextCursor: string } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(key(last)) : "" };
}
