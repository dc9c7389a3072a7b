// Changed spellings of signed tokens, for tests that a verifier accepts exactly the text it issued.

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * `token` with the lowest bit of its last base64url character flipped. When that character ends a 32-byte
 * MAC (43 characters), the bit is unused: the changed text decodes to the same bytes, so only a verifier
 * that compares the text refuses it.
 */
export function sameBytesSpelling(token: string): string {
  const index = BASE64URL.indexOf(token.at(-1) ?? "");
  if (index < 0) throw new Error("the token does not end in a base64url character");
  return token.slice(0, -1) + BASE64URL[index ^ 1];
}
