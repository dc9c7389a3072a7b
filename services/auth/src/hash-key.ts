import { createHmac, randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import {
  type Config,
  ErrorCode,
  LatchflowError,
  type Logger,
  readOrCreatePrivateKeyFile,
} from "@latchflow/runtime";

/** HMAC-SHA256 (hex) of a short-lived sign-in secret under the server's hash key. */
export type KeyedHash = (secret: string) => string;

const KEY_BYTES = 32;

/** Where the embedded hash key lives when `LATCHFLOW_AUTH_HASH_KEY` is unset. */
export function authHashKeyPath(dataDir: string): string {
  return join(resolve(dataDir), "keys", "auth-hash.key");
}

function keyBytes(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== KEY_BYTES) {
    throw new LatchflowError(ErrorCode.BadRequest, `${where} is not base64 of ${KEY_BYTES} bytes`);
  }
  return key;
}

/**
 * The keyed hash of OTP codes and magic-link tokens: an HMAC under `LATCHFLOW_AUTH_HASH_KEY`, or, when that
 * is unset, under a key file generated once at `<dataDir>/keys/auth-hash.key` (0600). Whoever reads the
 * auth database alone cannot test the million possible codes against a stored hash.
 */
export function loadKeyedHash(config: Config, logger: Logger): KeyedHash {
  let key: Buffer;
  if (config.authHashKey) {
    key = keyBytes(config.authHashKey.reveal(), "LATCHFLOW_AUTH_HASH_KEY");
  } else {
    const path = authHashKeyPath(config.dataDir);
    if (config.database.kind === "postgres") {
      logger.warn(
        { path },
        "LATCHFLOW_AUTH_HASH_KEY is not set: using the key file under the data dir; every auth replica must share it (set LATCHFLOW_AUTH_HASH_KEY in distributed deployments)",
      );
    }
    const file = readOrCreatePrivateKeyFile(path, () => `${randomBytes(KEY_BYTES).toString("base64")}\n`);
    if (file.created) logger.info({ path }, "generated the auth hash key file");
    key = keyBytes(file.text, `Key file ${path}`);
  }
  return (secret) => createHmac("sha256", key).update(secret, "utf8").digest("hex");
}
