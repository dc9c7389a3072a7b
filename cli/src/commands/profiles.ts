// Profiles: named sign-ins (server, where the token is kept, who it belongs to) in
// $XDG_CONFIG_HOME/latchflow/config.json, the folder 0700 and the file 0600. Tokens themselves are never in
// this file: they live in the OS keychain or in credentials.json beside it (token-store.ts).
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

export type Env = Record<string, string | undefined>;

export interface Profile {
  server: string;
  /** where this profile's token is kept */
  tokenStore: "keychain" | "file";
  /** who signed in, as the server said at login */
  user?: { id: string; email: string; role: string };
  scopes?: string[];
  signedInAt?: string;
}

export interface ConfigFile {
  profiles: Record<string, Profile>;
}

/** $XDG_CONFIG_HOME/latchflow (default ~/.config/latchflow). */
export function configDir(env: Env): string {
  const base = env.XDG_CONFIG_HOME?.trim() ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), ".config");
  return join(base, "latchflow");
}

/** The profile in use: --profile, then LATCHFLOW_PROFILE, then `default`. */
export function profileName(flag: string | undefined, env: Env): string {
  const name = flag ?? env.LATCHFLOW_PROFILE ?? "default";
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    throw new Error(`profile names are letters, digits, "_", "." and "-" (got "${name}")`);
  }
  return name;
}

/** Reads a JSON file of ours; undefined when it does not exist. */
export async function readJsonFile<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${path} is not valid JSON: fix or delete it, then run \`latchflow login\` again`);
  }
}

/** Writes a private file atomically: folder 0700, file 0600 (written under a temporary name, then renamed). */
export async function writePrivateFile(dir: string, name: string, content: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const path = join(dir, name);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}

export async function readConfig(env: Env): Promise<ConfigFile> {
  const file = await readJsonFile<ConfigFile>(join(configDir(env), "config.json"));
  return { profiles: file?.profiles ?? {} };
}

export async function saveProfile(env: Env, name: string, profile: Profile | undefined): Promise<void> {
  const config = await readConfig(env);
  if (profile) config.profiles[name] = profile;
  else delete config.profiles[name];
  await writePrivateFile(configDir(env), "config.json", `${JSON.stringify(config, null, 2)}\n`);
}
