/**
 * How a browser proves a session: a cookie, plus a CSRF token echoed in a header on every change. Users (the
 * admin app) and recipients (the portal) have separate sessions and CSRF tokens, so one browser can hold both.
 * The session cookie is HttpOnly; the CSRF cookie is readable by the page's script, which copies it into
 * {@link CSRF_HEADER} (an HTML form may send it as the `csrf_token` field instead).
 */
export const SESSION_COOKIES = {
  user: { session: "lf_session", csrf: "lf_csrf" },
  recipient: { session: "lf_recipient", csrf: "lf_recipient_csrf" },
} as const;
export type SessionKind = keyof typeof SESSION_COOKIES;

/** The request header carrying the CSRF token on unsafe requests made with a session cookie. */
export const CSRF_HEADER = "X-CSRF-Token";

/** Methods that change something: a session cookie on them needs the CSRF header too. */
export const UNSAFE_METHODS: ReadonlySet<string> = new Set(["post", "put", "patch", "delete"]);
