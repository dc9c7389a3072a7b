// Where a profile's token is kept: the OS keychain when one answers (macOS Keychain, Windows Credential
// Manager, a Secret Service over D-Bus on Linux), otherwise credentials.json in the config folder, mode 0600.
// The keychain binding is loaded only when a token is read or written, and a keychain that does not answer
// within KEYCHAIN_TIMEOUT_MS counts as absent (ADR 023). LATCHFLOW_KEYCHAIN=off skips it.
import { join } from "node:path";
import { configDir, type Env, readJsonFile, writePrivateFile } from "./profiles.js";

const SERVICE = "latchflow";
const KEYCHAIN_TIMEOUT_MS = 3000;

export interface TokenStore {
  kind: "keychain" | "file";
  /** for messages: "the OS keychain" or the file's path */
  where: string;
  get(profile: string): Promise<string | undefined>;
  set(profile: string, token: string): Promise<void>;
  delete(profile: string): Promise<void>;
}

type Tokens = { tokens: Record<string, string> };

/** credentials.json beside config.json, 0600. */
export function fileStore(env: Env): TokenStore {
  const dir = configDir(env);
  const path = join(dir, "credentials.json");
  const read = async () => (await readJsonFile<Tokens>(path))?.tokens ?? {};
  const write = (tokens: Record<string, string>) =>
    writePrivateFile(dir, "credentials.json", `${JSON.stringify({ tokens }, null, 2)}\n`);
  return {
    kind: "file",
    where: path,
    async get(profile) {
      return (await read())[profile];
    },
    async set(profile, token) {
      await write({ ...(await read()), [profile]: token });
    },
    async delete(profile) {
      const tokens = await read();
      if (!(profile in tokens)) return;
      delete tokens[profile];
      await write(tokens);
    },
  };
}

async function withTimeout<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(KEYCHAIN_TIMEOUT_MS);
  return await work(signal);
}

/** The OS keychain, or undefined when there is none that answers (checked with a read). */
export async function keychainStore(env: Env): Promise<TokenStore | undefined> {
  if (env.LATCHFLOW_KEYCHAIN === "off") return undefined;
  let AsyncEntry: typeof import("@napi-rs/keyring").AsyncEntry;
  try {
    ({ AsyncEntry } = await import("@napi-rs/keyring"));
  } catch {
    return undefined; // no prebuilt binding for this platform
  }
  const entry = (profile: string) => new AsyncEntry(SERVICE, profile);
  try {
    // a read of an absent entry answers null on a working keychain, and fails without one
    await withTimeout((signal) => entry("__probe__").getPassword(signal));
  } catch {
    return undefined;
  }
  return {
    kind: "keychain",
    where: "the OS keychain",
    async get(profile) {
      return (await withTimeout((signal) => entry(profile).getPassword(signal))) ?? undefined;
    },
    async set(profile, token) {
      await withTimeout((signal) => entry(profile).setPassword(token, signal));
    },
    async delete(profile) {
      await withTimeout((signal) => entry(profile).deletePassword(signal)).catch(() => false);
    },
  };
}

/**
 * Stores a new sign-in's token: in the keychain when one takes it (a keychain may answer reads and still
 * refuse writes, as a Linux box without a Secret Service does), otherwise in the file. Returns the store used.
 */
export async function saveToken(env: Env, profile: string, token: string): Promise<TokenStore> {
  const keychain = await keychainStore(env);
  if (keychain) {
    try {
      await keychain.set(profile, token);
      if ((await keychain.get(profile)) === token) return keychain;
    } catch {
      // fall through to the file
    }
  }
  const file = fileStore(env);
  await file.set(profile, token);
  return file;
}

/** The store a profile says its token is in (falling back to the file when the keychain went away). */
export async function storeFor(kind: "keychain" | "file", env: Env): Promise<TokenStore> {
  if (kind === "keychain") {
    const keychain = await keychainStore(env);
    if (keychain) return keychain;
  }
  return fileStore(env);
}
