import { redirect } from "@sveltejs/kit";
import { resolve } from "$app/paths";
import { isUnauthenticated } from "./errors.js";

/** Whether `next` is a page of this app (only those may be a destination after signing in). */
export function isAdminPath(next: string | null | undefined): next is string {
  return !!next && /^\/admin(\/|$)/.test(next) && !next.startsWith("//") && !/[\s\\]/.test(next);
}

/** The sign-in page, with the page to come back to. */
export function signInPath(url: Pick<URL, "pathname" | "search">): string {
  return `${resolve("/sign-in")}?next=${encodeURIComponent(url.pathname + url.search)}`;
}

/** Runs a load's API call; without a session, sends the person to sign in and back here after. */
export async function requireSession<T>(url: URL, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isUnauthenticated(err)) redirect(303, signInPath(url));
    throw err;
  }
}
