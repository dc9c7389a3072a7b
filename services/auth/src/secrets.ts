import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";

/** sha256 hex of a secret: the only form stored. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Constant-time comparison of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** 32 random bytes, base64url. */
export function randomSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** A new API token `lf_<id>_<secret>`: the id is the row's ULID (lowercase). Never parsed back. */
export function mintToken(id: string): string {
  return `lf_${id.toLowerCase()}_${randomSecret()}`;
}

/** Six decimal digits from a CSPRNG (uniform; leading zeros kept). */
export function otpCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, "0");
}

/** RFC 8628 user codes: 8 characters without ambiguous letters or digits (no 0 O 1 I L U, no vowels). */
const USER_CODE_ALPHABET = "BCDFGHJKMNPQRSTVWXZ23456789";

export function userCode(): string {
  let out = "";
  for (let i = 0; i < 8; i++) out += USER_CODE_ALPHABET[randomInt(0, USER_CODE_ALPHABET.length)];
  return out;
}

/** Accepts `abcd-efgh`, `ABCD EFGH`, `abcdefgh`; returns the 8 stored characters, or undefined. */
export function normalizeUserCode(input: string): string | undefined {
  const code = input.toUpperCase().replace(/[\s-]/g, "");
  if (code.length !== 8) return undefined;
  for (const ch of code) if (!USER_CODE_ALPHABET.includes(ch)) return undefined;
  return code;
}

export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}
