import { createHash, randomBytes } from "node:crypto";

/** sha256 hex of a presented token: the only form stored. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A new API token `lf_<id>_<secret>`: the id is the row's ULID (lowercase), the secret 32 random bytes. */
export function mintToken(id: string): string {
  return `lf_${id.toLowerCase()}_${randomBytes(32).toString("base64url")}`;
}
