import { constantTimeEqual, hmacSha256 } from "./hmac.js";
import { toHex } from "./sha256.js";

/**
 * The Latchflow request signature, checked by webhook@1 and sent by http@1: `X-Latchflow-Timestamp`
 * (Unix seconds) and `X-Latchflow-Signature: sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<raw body>`.
 */
export const TIMESTAMP_HEADER = "x-latchflow-timestamp";
export const SIGNATURE_HEADER = "x-latchflow-signature";

const SIGNATURE_PATTERN = /^sha256=([0-9a-fA-F]{64})$/;

/** `sha256=<hex>` for a timestamp (Unix seconds, as sent) and a raw body. */
export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${toHex(hmacSha256(secret, `${timestamp}.${body}`))}`;
}

/** True when `header` is a well-formed signature of `<timestamp>.<body>` under `secret` (constant time). */
export function verifySignature(secret: string, timestamp: string, body: string, header: string): boolean {
  const match = SIGNATURE_PATTERN.exec(header.trim());
  if (!match) return false;
  return constantTimeEqual(sign(secret, timestamp, body), `sha256=${match[1]!.toLowerCase()}`);
}
