import { redirect } from "@sveltejs/kit";
import { resolve } from "$app/paths";
import { isUnauthenticated } from "./errors.js";

/** Runs a load's API call; without a recipient session, sends the person to sign in and back here after. */
export async function requireSession<T>(url: URL, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isUnauthenticated(err)) {
      redirect(303, `${resolve("/sign-in")}?next=${encodeURIComponent(url.pathname + url.search)}`);
    }
    throw err;
  }
}
