import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ErrorCode, LatchflowError } from "@latchflow/runtime";
import type { Keyring } from "./keyring.js";

/**
 * Small secrets sealed with the master key (KEK).
 *
 * Sealed = "LFS1" ‖ key id (16 hex chars) ‖ nonce (12) ‖ AES-256-GCM(KEK, plaintext) ‖ tag (16), with
 * associated data "LFS1" ‖ key id ‖ ":" ‖ context, so a value only opens under the context it was sealed for
 * (a secret of one plugin cannot be replayed as another's). Old KEKs still open what they sealed.
 */
const MAGIC = "LFS1";
const KEY_ID_LENGTH = 16;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const HEADER = MAGIC.length + KEY_ID_LENGTH;
export const MAX_SECRET_BYTES = 64 * 1024;

const aad = (keyId: string, context: string) => Buffer.from(`${MAGIC}${keyId}:${context}`, "utf8");

export function sealSecret(keyring: Keyring, context: string, plaintext: Buffer): Buffer {
  if (plaintext.length > MAX_SECRET_BYTES) {
    throw new LatchflowError(ErrorCode.ValidationFailed, `A secret is at most ${MAX_SECRET_BYTES} bytes`);
  }
  const kek = keyring.current;
  const iv = randomBytes(NONCE_LENGTH);
  const cipher = createCipheriv("aes-256-gcm", kek.key, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad(kek.id, context));
  return Buffer.concat([
    Buffer.from(MAGIC + kek.id, "utf8"),
    iv,
    cipher.update(plaintext),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
}

export function openSecret(keyring: Keyring, context: string, sealed: Buffer): Buffer {
  const fail = (message: string, cause?: unknown) =>
    new LatchflowError(ErrorCode.IntegrityFailed, message, { cause });
  if (sealed.length < HEADER + NONCE_LENGTH + TAG_LENGTH || sealed.subarray(0, 4).toString() !== MAGIC) {
    throw fail("Sealed secret is malformed");
  }
  const keyId = sealed.subarray(MAGIC.length, HEADER).toString("utf8");
  const kek = keyring.get(keyId);
  if (!kek) throw fail("Sealed secret uses an unknown master key");
  const iv = sealed.subarray(HEADER, HEADER + NONCE_LENGTH);
  const decipher = createDecipheriv("aes-256-gcm", kek.key, iv, { authTagLength: TAG_LENGTH });
  decipher.setAAD(aad(keyId, context));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  const body = decipher.update(sealed.subarray(HEADER + NONCE_LENGTH, sealed.length - TAG_LENGTH));
  try {
    return Buffer.concat([body, decipher.final()]);
  } catch (err) {
    throw fail("Sealed secret failed its integrity check", err);
  }
}
