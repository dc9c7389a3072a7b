// The one check of a MAC that arrives as text in a signed token (trigger links, byte-plane capabilities).
import { timingSafeEqual } from "node:crypto";

/**
 * Whether `given` is exactly the base64url text of `expected`, compared in constant time. Comparing the text
 * rather than the decoded bytes matters: a 32-byte MAC takes 43 characters whose last carries two unused bits,
 * and the decoder ignores those bits and any stray characters, so four spellings of one MAC would decode alike
 * and a changed link would still work.
 */
export function macTextMatches(given: string, expected: Uint8Array): boolean {
  const want = Buffer.from(Buffer.from(expected).toString("base64url"), "utf8");
  const got = Buffer.from(given, "utf8");
  return got.length === want.length && timingSafeEqual(got, want);
}
