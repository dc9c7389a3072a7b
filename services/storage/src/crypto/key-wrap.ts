import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { ErrorCode, LatchflowError } from "@latchflow/runtime";
import { DEK_LENGTH } from "./chunk-cipher.js";

/**
 * Envelope encryption: a key-encryption key (KEK, the master key) wraps each blob's data key (DEK).
 *
 * Wrapped DEK (60 bytes) = nonce (12 random bytes) ‖ AES-256-GCM(KEK, DEK) (32 bytes) ‖ tag (16 bytes),
 * associated data = "LFK1" ‖ key id ‖ ":" ‖ blob id, so a wrapped key only opens for the blob it was made for.
 * Key id = hex of the first 8 bytes of sha256("latchflow-kek-id:" ‖ KEK): identifies the key, reveals nothing
 * usable about it.
 */
export const KEK_LENGTH = 32;
const WRAP_NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
export const WRAPPED_DEK_LENGTH = WRAP_NONCE_LENGTH + DEK_LENGTH + TAG_LENGTH;

/** A master key and its id. `key` never leaves this process and is never logged. */
export interface Kek {
  readonly id: string;
  readonly key: Buffer;
}

export function kekId(key: Buffer): string {
  return createHash("sha256").update("latchflow-kek-id:").update(key).digest().subarray(0, 8).toString("hex");
}

/** A KEK from 32 raw bytes. */
export function kekFromBytes(key: Buffer): Kek {
  if (key.length !== KEK_LENGTH) throw new RangeError(`a master key is ${KEK_LENGTH} bytes`);
  return Object.freeze({ id: kekId(key), key: Buffer.from(key) });
}

function wrapAad(keyId: string, blobId: string): Buffer {
  return Buffer.from(`LFK1${keyId}:${blobId}`, "utf8");
}

/** Wraps a blob's data key under a KEK. */
export function wrapDek(kek: Kek, blobId: string, dek: Buffer): Buffer {
  if (dek.length !== DEK_LENGTH) throw new RangeError(`a data key is ${DEK_LENGTH} bytes`);
  const iv = randomBytes(WRAP_NONCE_LENGTH);
  const cipher = createCipheriv("aes-256-gcm", kek.key, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(wrapAad(kek.id, blobId));
  return Buffer.concat([iv, cipher.update(dek), cipher.final(), cipher.getAuthTag()]);
}

/** Unwraps a data key; IntegrityFailed if the wrapped key was altered, or belongs to another blob or KEK. */
export function unwrapDek(kek: Kek, blobId: string, wrapped: Buffer): Buffer {
  if (wrapped.length !== WRAPPED_DEK_LENGTH) {
    throw new LatchflowError(ErrorCode.IntegrityFailed, "Wrapped data key has a wrong size", {
      details: { blobId },
    });
  }
  const decipher = createDecipheriv("aes-256-gcm", kek.key, wrapped.subarray(0, WRAP_NONCE_LENGTH), {
    authTagLength: TAG_LENGTH,
  });
  decipher.setAAD(wrapAad(kek.id, blobId));
  decipher.setAuthTag(wrapped.subarray(WRAPPED_DEK_LENGTH - TAG_LENGTH));
  const dek = decipher.update(wrapped.subarray(WRAP_NONCE_LENGTH, WRAPPED_DEK_LENGTH - TAG_LENGTH));
  try {
    decipher.final();
  } catch (err) {
    throw new LatchflowError(ErrorCode.IntegrityFailed, "Wrapped data key failed its integrity check", {
      details: { blobId },
      cause: err,
    });
  }
  return dek;
}
