import { SESSION_COOKIES, type SessionKind } from "@latchflow/api";
import type { Context } from "koa";

/** Cookie names, from the contract. Users and recipients have separate sessions (and CSRF tokens). */
export const COOKIES = SESSION_COOKIES;
export type { SessionKind };

export function readCookie(koa: Context, name: string): string | undefined {
  const header = koa.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

interface CookieOptions {
  httpOnly: boolean;
  sameSite: "Lax" | "Strict";
  secure: boolean;
  maxAgeSeconds: number;
}

export function setCookie(koa: Context, name: string, value: string, o: CookieOptions): void {
  const parts = [
    `${name}=${encodeURIComponent(value)}`,
    "Path=/",
    `Max-Age=${Math.max(0, Math.floor(o.maxAgeSeconds))}`,
    `SameSite=${o.sameSite}`,
  ];
  if (o.httpOnly) parts.push("HttpOnly");
  if (o.secure) parts.push("Secure");
  koa.append("Set-Cookie", parts.join("; "));
}

/**
 * Session cookie: HttpOnly, SameSite=Lax (so the magic link's top-level navigation carries it), Secure
 * outside development. CSRF cookie: readable by the app's script, SameSite=Strict.
 */
export function setSessionCookies(
  koa: Context,
  kind: SessionKind,
  grant: { sessionToken: string; csrfToken: string; expiresAt?: Date | undefined },
  secure: boolean,
): void {
  const maxAgeSeconds = grant.expiresAt ? (grant.expiresAt.getTime() - Date.now()) / 1000 : 3600;
  setCookie(koa, COOKIES[kind].session, grant.sessionToken, {
    httpOnly: true,
    sameSite: "Lax",
    secure,
    maxAgeSeconds,
  });
  setCookie(koa, COOKIES[kind].csrf, grant.csrfToken, {
    httpOnly: false,
    sameSite: "Strict",
    secure,
    maxAgeSeconds,
  });
}

export function clearSessionCookies(koa: Context, kind: SessionKind, secure: boolean): void {
  setCookie(koa, COOKIES[kind].session, "", { httpOnly: true, sameSite: "Lax", secure, maxAgeSeconds: 0 });
  setCookie(koa, COOKIES[kind].csrf, "", { httpOnly: false, sameSite: "Strict", secure, maxAgeSeconds: 0 });
}
