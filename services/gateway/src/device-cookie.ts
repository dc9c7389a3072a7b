import { randomBytes } from "node:crypto";
import type { Context } from "koa";
import { readCookie, setCookie } from "./cookies.js";

/**
 * The portal's device cookie: an HttpOnly random value that tells this browser from others (download grants
 * record it; the auth service keeps only its sha256 as the recipient's device key; ADR 025).
 */
export const DEVICE_COOKIE = "lf_device";
const DEVICE_ID = /^[A-Za-z0-9_-]{16,64}$/;
const DEVICE_MAX_AGE = 400 * 86_400;

/** The pairing claim cookie of a browser that entered a pairing code (ADR 025). */
export const PAIRING_CLAIM_COOKIE = "lf_pairing_claim";

/** This browser's device cookie, or "" when it has none (or a malformed one). */
export function readDeviceId(koa: Context): string {
  const existing = readCookie(koa, DEVICE_COOKIE);
  return existing && DEVICE_ID.test(existing) ? existing : "";
}

export function setDeviceId(koa: Context, id: string, secure: boolean): void {
  setCookie(koa, DEVICE_COOKIE, id, {
    httpOnly: true,
    sameSite: "Lax",
    secure,
    maxAgeSeconds: DEVICE_MAX_AGE,
  });
}

/** This browser's device id, set on first use. */
export function deviceId(koa: Context, secure: boolean): string {
  const existing = readDeviceId(koa);
  if (existing) return existing;
  const id = randomBytes(18).toString("base64url");
  setDeviceId(koa, id, secure);
  return id;
}

/** After a sign-in: the device key the auth service says this browser keeps (a forgotten one is replaced). */
export function keepDeviceId(koa: Context, presented: string, kept: string, secure: boolean): void {
  if (kept && kept !== presented) setDeviceId(koa, kept, secure);
}

export function clearDeviceId(koa: Context, secure: boolean): void {
  setCookie(koa, DEVICE_COOKIE, "", { httpOnly: true, sameSite: "Lax", secure, maxAgeSeconds: 0 });
}
