import { sha256, utf8 } from "./sha256.js";

const BLOCK = 64;

/** HMAC-SHA256 (RFC 2104) of `message` keyed with `key`; strings are taken as UTF-8. */
export function hmacSha256(key: Uint8Array | string, message: Uint8Array | string): Uint8Array {
  let k = typeof key === "string" ? utf8(key) : key;
  if (k.length > BLOCK) k = sha256(k);
  const msg = typeof message === "string" ? utf8(message) : message;
  const inner = new Uint8Array(BLOCK + msg.length);
  const outer = new Uint8Array(BLOCK + 32);
  for (let i = 0; i < BLOCK; i++) {
    const b = k[i] ?? 0;
    inner[i] = b ^ 0x36;
    outer[i] = b ^ 0x5c;
  }
  inner.set(msg, BLOCK);
  outer.set(sha256(inner), BLOCK);
  return sha256(outer);
}

/**
 * Compares two strings in time that depends only on their lengths (a length mismatch returns false at
 * once: lengths are not secret here, the signature format fixes them).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
