import { randomBytes } from "node:crypto";

/** A short unique lowercase name for per-test-file databases, schemas, streams and tenants. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
}
