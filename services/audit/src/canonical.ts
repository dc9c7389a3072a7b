import { createHash } from "node:crypto";

/** The `prevHash` of a tenant's first record: 32 zero bytes. */
export const GENESIS_HASH = "0".repeat(64);

/** Version of the canonical record encoding (the `v` field), see ADR 011. */
export const CANONICAL_VERSION = 1;

/**
 * RFC 8785 (JCS) canonical JSON: object keys sorted by UTF-16 code units, no whitespace, numbers and strings
 * as ECMAScript's JSON.stringify writes them. `undefined` object members are left out; non-finite numbers
 * and other non-JSON values are refused.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError("canonical JSON has no non-finite numbers");
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(",")}]`;
      const obj = value as Record<string, unknown>;
      const members = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
      return `{${members.join(",")}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
  }
}

/** The fields of a record that its hash covers (and nothing else). */
export interface ChainedRecord {
  tenant: string;
  seq: number;
  id: string;
  type: string;
  occurredAt: Date;
  recordedAt: Date;
  actor: { kind: string; id: string };
  subjectIds: Record<string, string>;
  /** "" when unknown */
  requestId: string;
  data: unknown;
}

/**
 * Canonical encodings of a record's nested objects, when the caller has them already (the stored columns, or
 * the strings it is about to store), so they are not encoded twice.
 */
export interface CanonicalParts {
  data: string;
  subjectIds: string;
}

const str = (v: string) => JSON.stringify(v);

/**
 * The canonical encoding of a record (ADR 011): JCS of exactly these fields, dates as ISO 8601 with ms. Written
 * out in JCS key order (equal to `canonicalJson` of the same object; a test holds them together).
 */
export function canonicalRecord(r: ChainedRecord, parts?: CanonicalParts): string {
  const data = parts?.data ?? canonicalJson(r.data);
  const subjectIds = parts?.subjectIds ?? canonicalJson(r.subjectIds);
  return (
    `{"actor":{"id":${str(r.actor.id)},"kind":${str(r.actor.kind)}},"data":${data},"id":${str(r.id)},` +
    `"occurredAt":${str(r.occurredAt.toISOString())},"recordedAt":${str(r.recordedAt.toISOString())},` +
    `"requestId":${str(r.requestId)},"seq":${canonicalJson(r.seq)},"subjectIds":${subjectIds},` +
    `"tenant":${str(r.tenant)},"type":${str(r.type)},"v":${CANONICAL_VERSION}}`
  );
}

const HEX_HASH = /^[0-9a-f]{64}$/;

/** `sha256(prevHash bytes || UTF-8 canonical encoding)`, lowercase hex. */
export function recordHash(prevHash: string, r: ChainedRecord, parts?: CanonicalParts): string {
  if (!HEX_HASH.test(prevHash)) throw new TypeError("prevHash must be 64 lowercase hex digits");
  return createHash("sha256")
    .update(Buffer.from(prevHash, "hex"))
    .update(canonicalRecord(r, parts), "utf8")
    .digest("hex");
}

/** What a checkpoint signs. */
export interface CheckpointStatement {
  tenant: string;
  seq: number;
  hash: string;
  signedAt: Date;
  keyId: string;
}

/** The bytes an Ed25519 checkpoint signature covers: JCS of the statement with a purpose field. */
export function checkpointMessage(c: CheckpointStatement): Buffer {
  return Buffer.from(
    canonicalJson({
      purpose: "latchflow.audit.checkpoint",
      v: CANONICAL_VERSION,
      tenant: c.tenant,
      seq: c.seq,
      hash: c.hash,
      signedAt: c.signedAt.toISOString(),
      keyId: c.keyId,
    }),
    "utf8",
  );
}
