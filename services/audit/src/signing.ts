import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import { join, resolve } from "node:path";
import {
  type Config,
  ErrorCode,
  LatchflowError,
  type Logger,
  parseEd25519PrivateKey,
  readOrCreatePrivateKeyFile,
} from "@latchflow/runtime";
import { type CheckpointStatement, checkpointMessage } from "./canonical.js";

/** A public key that verifies checkpoints. */
export interface AuditPublicKey {
  /** first 16 hex digits of the SHA-256 of the SPKI DER */
  keyId: string;
  algorithm: "ed25519";
  /** SPKI PEM */
  pem: string;
  key: KeyObject;
}

/** Signs checkpoints with the audit signing key; never exposes the private key. */
export interface CheckpointSigner {
  readonly publicKey: AuditPublicKey;
  readonly source: "env" | "file";
  /** base64 Ed25519 signature of the statement's canonical message */
  sign(statement: Omit<CheckpointStatement, "keyId">): { keyId: string; signature: string };
}

/** Where the embedded signing key lives when `LATCHFLOW_AUDIT_SIGNING_KEY` is unset. */
export function signingKeyPath(dataDir: string): string {
  return join(resolve(dataDir), "keys", "audit-signing.pem");
}

/** The public half of a key (private or public) as an {@link AuditPublicKey}. */
export function auditPublicKey(key: KeyObject): AuditPublicKey {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== "ed25519") throw new TypeError("the audit key must be Ed25519");
  const der = pub.export({ type: "spki", format: "der" });
  return {
    keyId: createHash("sha256").update(der).digest("hex").slice(0, 16),
    algorithm: "ed25519",
    pem: String(pub.export({ type: "spki", format: "pem" })),
    key: pub,
  };
}

/** Reads a public key from PEM text (SPKI, or a private key whose public half is taken). */
export function parsePublicKeyPem(text: string): AuditPublicKey {
  return auditPublicKey(createPublicKey(text));
}

/** Whether `signature` is the key's signature of the checkpoint statement. */
export function verifyCheckpointSignature(
  publicKey: AuditPublicKey,
  statement: CheckpointStatement,
  signature: string,
): boolean {
  try {
    return verify(null, checkpointMessage(statement), publicKey.key, Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}

export function createSigner(privateKey: KeyObject, source: CheckpointSigner["source"]): CheckpointSigner {
  const publicKey = auditPublicKey(privateKey);
  return {
    publicKey,
    source,
    sign(statement) {
      const message = checkpointMessage({ ...statement, keyId: publicKey.keyId });
      return { keyId: publicKey.keyId, signature: sign(null, message, privateKey).toString("base64") };
    },
  };
}

function parseKeyFile(path: string, text: string): KeyObject {
  try {
    return parseEd25519PrivateKey(text);
  } catch {
    throw new LatchflowError(ErrorCode.BadRequest, `Key file ${path} does not hold an Ed25519 private key`, {
      details: { path },
    });
  }
}

/** The embedded signing key file, generated on first use (mode 0600; concurrent starters agree on one key). */
export function readOrCreateSigningKeyFile(dataDir: string, logger?: Logger): KeyObject {
  const path = signingKeyPath(dataDir);
  const file = readOrCreatePrivateKeyFile(path, () =>
    String(generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" })),
  );
  const privateKey = parseKeyFile(path, file.text);
  if (file.created) {
    logger?.info({ keyId: auditPublicKey(privateKey).keyId, path }, "generated the audit signing key file");
  }
  return privateKey;
}

/**
 * The checkpoint signer from the compiled config: `LATCHFLOW_AUDIT_SIGNING_KEY`, or, when that is unset, the
 * key file under the data dir (generated on first start).
 */
export function loadSigner(config: Config, logger: Logger): CheckpointSigner {
  if (config.audit.signingKey) {
    return createSigner(parseEd25519PrivateKey(config.audit.signingKey.reveal()), "env");
  }
  if (config.database.kind === "postgres") {
    logger.warn(
      { path: signingKeyPath(config.dataDir) },
      "LATCHFLOW_AUDIT_SIGNING_KEY is not set: using the key file under the data dir; every audit replica must share it (set LATCHFLOW_AUDIT_SIGNING_KEY in distributed deployments)",
    );
  }
  return createSigner(readOrCreateSigningKeyFile(config.dataDir, logger), "file");
}
