import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";

/**
 * Package signatures (issue 16, ADR 042): `package/latchflow-signature.json` inside the tarball signs, with the
 * author's Ed25519 key, the sha512 of every other regular file of the package. The signature travels inside the
 * package, so `npm publish <tarball>` and any registry keep it, and the server verifies it from the tarball alone.
 * This is the one implementation: `latchflow-plugin sign` writes it, the server (and `latchflow-plugin verify`)
 * checks it.
 */

export const SIGNATURE_FILE = "package/latchflow-signature.json";
export const SIGNATURE_FORMAT = "latchflow-signature/1";
const PUBLIC_KEY_PREFIX = "ed25519:";
/** The DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** What `package/latchflow-signature.json` holds. */
export interface SignatureDocument {
  format: typeof SIGNATURE_FORMAT;
  /** the name the author gave their key (self-declared: admins trust the key, under their own label) */
  signer: string;
  /** `ed25519:<base64 of the raw 32-byte key>` */
  publicKey: string;
  keyId: string;
  /** package path → `sha512-<base64>`: every regular file of the package except this one */
  files: Record<string, string>;
  /** base64 Ed25519 signature over `signedText(signer, publicKey, files)` */
  signature: string;
}

/** A package whose signature holds: who signed it (the key's identity; trust is the server's business). */
export interface VerifiedSignature {
  signer: string;
  publicKey: string;
  keyId: string;
  fingerprint: string;
}

/** Why a signature does not hold: it is there but malformed, or it does not match the package. */
export class SignatureError extends Error {
  constructor(
    message: string,
    readonly reason: "malformed" | "tampered" | "bad_signature",
  ) {
    super(message);
    this.name = "SignatureError";
  }
}

/** `sha256:<hex>` of the raw public key: how admins compare keys. */
export function fingerprintOf(publicKey: string): string {
  return `sha256:${createHash("sha256").update(rawPublicKey(publicKey)).digest("hex")}`;
}

/** The first 16 hex digits of the fingerprint: a short name for the key. */
export function keyIdOf(publicKey: string): string {
  return fingerprintOf(publicKey).slice("sha256:".length, "sha256:".length + 16);
}

/** The raw 32 bytes of an `ed25519:<base64>` public key; throws a `SignatureError` (malformed) otherwise. */
export function rawPublicKey(publicKey: string): Buffer {
  const raw = publicKey.startsWith(PUBLIC_KEY_PREFIX)
    ? Buffer.from(publicKey.slice(PUBLIC_KEY_PREFIX.length), "base64")
    : Buffer.alloc(0);
  if (raw.length !== 32 || raw.toString("base64") !== publicKey.slice(PUBLIC_KEY_PREFIX.length)) {
    throw new SignatureError("a public key is ed25519:<base64 of 32 bytes>", "malformed");
  }
  return raw;
}

/** The `ed25519:<base64>` form of a public key object. */
export function publicKeyText(key: KeyObject): string {
  const der = key.export({ format: "der", type: "spki" });
  return `${PUBLIC_KEY_PREFIX}${der.subarray(SPKI_PREFIX.length).toString("base64")}`;
}

/** Reads a PKCS#8 PEM Ed25519 private key. */
export function privateKeyFrom(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== "ed25519") throw new Error("the signing key is not an Ed25519 key");
  return key;
}

const sha512 = (data: Uint8Array) => `sha512-${createHash("sha512").update(data).digest("base64")}`;

/** The bytes signed: the format, the signer, the key, then one `<digest> <path>` line per file, sorted by path. */
function signedText(signer: string, publicKey: string, files: Record<string, string>): Buffer {
  const lines = Object.keys(files)
    .sort()
    .map((path) => `${files[path]} ${path}\n`);
  return Buffer.from(`${SIGNATURE_FORMAT}\nsigner ${signer}\nkey ${publicKey}\n${lines.join("")}`, "utf8");
}

function digests(files: ReadonlyMap<string, Uint8Array>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, data] of files) {
    if (path === SIGNATURE_FILE) continue;
    if (/[\n\r]/.test(path))
      throw new SignatureError(`a package path holds a line break: ${path}`, "malformed");
    out[path] = sha512(data);
  }
  return out;
}

/** Signs the files of a package (path → content, as `untar` reads them); the signature file itself is skipped. */
export function signFiles(
  files: ReadonlyMap<string, Uint8Array>,
  privateKey: KeyObject,
  signer: string,
): SignatureDocument {
  if (signer.trim() === "" || /[\n\r]/.test(signer)) throw new Error("the signer name must be one line");
  const publicKey = publicKeyText(createPublicKey(privateKey));
  const fileDigests = digests(files);
  return {
    format: SIGNATURE_FORMAT,
    signer,
    publicKey,
    keyId: keyIdOf(publicKey),
    files: fileDigests,
    signature: sign(null, signedText(signer, publicKey, fileDigests), privateKey).toString("base64"),
  };
}

/**
 * Verifies a package's signature: `undefined` when it has none, who signed it when it holds; a `SignatureError`
 * when the signature file is malformed, a file was added, removed or changed since (tampered), or the signature
 * does not match its key (bad_signature).
 */
export function verifyFiles(files: ReadonlyMap<string, Uint8Array>): VerifiedSignature | undefined {
  const file = files.get(SIGNATURE_FILE);
  if (file === undefined) return undefined;
  const doc = parseSignature(file);
  const actual = digests(files);
  const changed = [
    ...Object.keys(actual).filter((p) => doc.files[p] !== actual[p]),
    ...Object.keys(doc.files).filter((p) => !(p in actual)),
  ];
  if (changed.length > 0) {
    throw new SignatureError(
      `the package does not match its signature: ${[...new Set(changed)].sort().join(", ")} changed, added or removed since it was signed`,
      "tampered",
    );
  }
  const key = createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, rawPublicKey(doc.publicKey)]),
    format: "der",
    type: "spki",
  });
  const ok = verify(
    null,
    signedText(doc.signer, doc.publicKey, doc.files),
    key,
    Buffer.from(doc.signature, "base64"),
  );
  if (!ok) throw new SignatureError("the package's signature does not match its key", "bad_signature");
  return {
    signer: doc.signer,
    publicKey: doc.publicKey,
    keyId: keyIdOf(doc.publicKey),
    fingerprint: fingerprintOf(doc.publicKey),
  };
}

function parseSignature(data: Uint8Array): SignatureDocument {
  const bad = (why: string) => new SignatureError(`${SIGNATURE_FILE} is malformed: ${why}`, "malformed");
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(data).toString("utf8"));
  } catch {
    throw bad("not JSON");
  }
  if (typeof doc !== "object" || doc === null) throw bad("not an object");
  const d = doc as Record<string, unknown>;
  if (d.format !== SIGNATURE_FORMAT) throw bad(`format must be ${SIGNATURE_FORMAT}`);
  for (const field of ["signer", "publicKey", "keyId", "signature"] as const) {
    if (typeof d[field] !== "string" || d[field] === "") throw bad(`${field} must be a non-empty string`);
  }
  if (/[\n\r]/.test(d.signer as string)) throw bad("signer must be one line");
  const files = d.files;
  if (typeof files !== "object" || files === null || Array.isArray(files))
    throw bad("files must be an object");
  for (const [path, digest] of Object.entries(files)) {
    if (typeof digest !== "string" || /[\n\r]/.test(path)) throw bad(`files["${path}"] is not a digest`);
  }
  rawPublicKey(d.publicKey as string);
  if (d.keyId !== keyIdOf(d.publicKey as string)) throw bad("keyId is not the public key's");
  return doc as SignatureDocument;
}
