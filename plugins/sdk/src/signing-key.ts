import { createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmod, mkdir, open, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fingerprintOf, keyIdOf, privateKeyFrom, publicKeyText } from "./signature.js";

/**
 * An author's signing key on disk: `<path>` (JSON with the signer name and the PKCS#8 PEM private key, mode
 * 0600) and `<path>.pub` (one line: `ed25519:<base64>`, what admins add to their trusted keys).
 */

export const SIGNING_KEY_FORMAT = "latchflow-signing-key/1";
/** Where `keygen` writes and `sign` reads when no path is given. */
export const DEFAULT_KEY_PATH = join(homedir(), ".latchflow", "plugin-signing.key");

export interface SigningKey {
  signer: string;
  privateKey: KeyObject;
  publicKey: string;
  keyId: string;
  fingerprint: string;
}

export interface KeyFiles {
  privateKeyFile: string;
  publicKeyFile: string;
  publicKey: string;
  keyId: string;
  fingerprint: string;
}

/** Makes a new Ed25519 key pair and writes it; refuses to overwrite an existing private key file. */
export async function writeNewSigningKey(path: string, signer: string): Promise<KeyFiles> {
  if (signer.trim() === "" || /[\n\r]/.test(signer)) throw new Error("--name must be one non-empty line");
  const privateKeyFile = resolve(path);
  const { privateKey } = generateKeyPairSync("ed25519");
  const publicKey = publicKeyText(createPublicKey(privateKey));
  const body = `${JSON.stringify(
    {
      format: SIGNING_KEY_FORMAT,
      signer,
      publicKey,
      privateKey: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    },
    null,
    2,
  )}\n`;
  await mkdir(dirname(privateKeyFile), { recursive: true, mode: 0o700 });
  // "wx": never overwrite a key (a lost key cannot sign upgrades of what it signed)
  const handle = await open(privateKeyFile, "wx", 0o600).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "EEXIST") throw new Error(`${privateKeyFile} exists; choose another --out`);
    throw err;
  });
  try {
    await handle.writeFile(body);
  } finally {
    await handle.close();
  }
  await chmod(privateKeyFile, 0o600);
  const publicKeyFile = `${privateKeyFile}.pub`;
  await writeFile(publicKeyFile, `${publicKey}\n`);
  return {
    privateKeyFile,
    publicKeyFile,
    publicKey,
    keyId: keyIdOf(publicKey),
    fingerprint: fingerprintOf(publicKey),
  };
}

/** Reads a key file written by `writeNewSigningKey`. */
export async function readSigningKey(path: string): Promise<SigningKey> {
  const file = resolve(path);
  const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT")
      throw new Error(`no signing key at ${file}; make one with latchflow-plugin keygen`);
    throw err;
  });
  let doc: { format?: unknown; signer?: unknown; privateKey?: unknown };
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not a signing key written by latchflow-plugin keygen`);
  }
  if (
    doc.format !== SIGNING_KEY_FORMAT ||
    typeof doc.signer !== "string" ||
    typeof doc.privateKey !== "string"
  ) {
    throw new Error(`${file} is not a signing key written by latchflow-plugin keygen`);
  }
  const privateKey = privateKeyFrom(doc.privateKey);
  const publicKey = publicKeyText(createPublicKey(privateKey));
  return {
    signer: doc.signer,
    privateKey,
    publicKey,
    keyId: keyIdOf(publicKey),
    fingerprint: fingerprintOf(publicKey),
  };
}
