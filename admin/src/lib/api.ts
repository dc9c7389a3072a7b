import { createClient } from "@latchflow/api/client";
import { SESSION_COOKIES } from "@latchflow/api/sessions";

/** The user's CSRF token: the readable cookie the gateway sets with the session (api/src/sessions.ts). */
export function csrfToken(): string | undefined {
  for (const part of document.cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIES.user.csrf) {
      return decodeURIComponent(part.slice(eq + 1).trim());
    }
  }
  return undefined;
}

/** The only way the admin app talks to the server: the typed client of @latchflow/api, same origin, session cookie. */
export const api = createClient({ baseUrl: "", csrfToken, credentials: "same-origin" });
