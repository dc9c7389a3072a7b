import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { type Config, ErrorCode, LatchflowError, type Logger } from "@latchflow/runtime";
import { KEK_LENGTH, type Kek, kekFromBytes } from "./key-wrap.js";

/** The master keys this process knows: the current one wraps new data keys, old ones only unwrap. */
export interface Keyring {
  readonly current: Kek;
  /** where the current key came from */
  readonly source: "env" | "file";
  get(id: string): Kek | undefined;
  /** ids of every known key, current first */
  readonly ids: readonly string[];
}

export function createKeyring(current: Kek, old: readonly Kek[], source: Keyring["source"]): Keyring {
  const byId = new Map<string, Kek>([[current.id, current]]);
  for (const k of old) if (!byId.has(k.id)) byId.set(k.id, k);
  return { current, source, get: (id) => byId.get(id), ids: [...byId.keys()] };
}

/** Paths of the embedded key files under the data dir. */
export function keyFilePaths(dataDir: string) {
  const dir = join(resolve(dataDir), "keys");
  return { dir, current: join(dir, "master.key"), retired: join(dir, "retired") };
}

/** A new random master key, base64 (for `LATCHFLOW_MASTER_KEY`). */
export function generateMasterKey(): string {
  return randomBytes(KEK_LENGTH).toString("base64");
}

function configError(message: string, details?: Record<string, unknown>): LatchflowError {
  return new LatchflowError(ErrorCode.BadRequest, message, { details });
}

function fromBase64(text: string, what: string): Kek {
  const bytes = Buffer.from(text.trim(), "base64");
  if (bytes.length !== KEK_LENGTH) throw configError(`${what} is not base64 of ${KEK_LENGTH} bytes`);
  return kekFromBytes(bytes);
}

/**
 * Reads a key file (base64 of 32 bytes). Refuses a file that group or others may read or write, naming
 * the fix; the key itself never appears in an error.
 */
export function readKeyFile(path: string): Kek {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw configError(
      `Key file ${path} has mode ${mode.toString(8).padStart(4, "0")}; it must be readable by its owner only. ` +
        `Run: chmod 600 ${path}`,
      { path },
    );
  }
  return fromBase64(readFileSync(path, "utf8"), `Key file ${path}`);
}

/** Writes a new key file exclusively (mode 0600, fsynced); false if it already exists. */
function writeKeyFileExclusive(path: string, kek: Kek): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    writeSync(fd, `${kek.key.toString("base64")}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

function ensureKeyDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** The current embedded key file, generated on first use (concurrent starters agree on one key). */
export function readOrCreateKeyFile(dataDir: string, logger?: Logger): Kek {
  const paths = keyFilePaths(dataDir);
  if (existsSync(paths.current)) return readKeyFile(paths.current);
  ensureKeyDir(paths.dir);
  const kek = kekFromBytes(randomBytes(KEK_LENGTH));
  if (writeKeyFileExclusive(paths.current, kek)) {
    logger?.info({ keyId: kek.id, path: paths.current }, "generated the master key file");
    return kek;
  }
  return readKeyFile(paths.current);
}

function readRetiredKeyFiles(dataDir: string): { kek: Kek; path: string }[] {
  const { retired } = keyFilePaths(dataDir);
  if (!existsSync(retired)) return [];
  return readdirSync(retired)
    .filter((name) => name.endsWith(".key"))
    .sort()
    .map((name) => join(retired, name))
    .map((path) => ({ kek: readKeyFile(path), path }));
}

/**
 * The keyring from the compiled config: `LATCHFLOW_MASTER_KEY` (+ `LATCHFLOW_MASTER_KEYS_OLD`), or, when that
 * is unset, the key file under the data dir (generated on first start) plus its retired key files.
 */
export function loadKeyring(config: Config, logger: Logger): Keyring {
  const storage = config.storage;
  const old = storage.oldMasterKeys.map((s, i) => fromBase64(s.reveal(), `LATCHFLOW_MASTER_KEYS_OLD[${i}]`));
  if (storage.masterKey) {
    return createKeyring(fromBase64(storage.masterKey.reveal(), "LATCHFLOW_MASTER_KEY"), old, "env");
  }
  if (config.database.kind === "postgres") {
    logger.warn(
      { path: keyFilePaths(config.dataDir).current },
      "LATCHFLOW_MASTER_KEY is not set: using the key file under the data dir; every replica must share it (set LATCHFLOW_MASTER_KEY in distributed deployments)",
    );
  }
  const current = readOrCreateKeyFile(config.dataDir, logger);
  return createKeyring(current, [...readRetiredKeyFiles(config.dataDir).map((r) => r.kek), ...old], "file");
}

/**
 * Embedded key file rotation: keeps the current key as `retired/<id>.key` (still used to unwrap), then
 * replaces `master.key` with a new key atomically. Re-wrapping the data keys is a separate step.
 */
export function rotateKeyFile(dataDir: string): { retired: Kek; current: Kek } {
  const paths = keyFilePaths(dataDir);
  const retired = readOrCreateKeyFile(dataDir);
  ensureKeyDir(paths.retired);
  writeKeyFileExclusive(join(paths.retired, `${retired.id}.key`), retired);
  const current = kekFromBytes(randomBytes(KEK_LENGTH));
  const tmp = `${paths.current}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  writeKeyFileExclusive(tmp, current);
  renameSync(tmp, paths.current);
  const dirFd = openSync(paths.dir, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return { retired, current };
}

/** Deletes retired key files whose id is not in `inUse`; returns the ids removed. */
export function pruneRetiredKeyFiles(dataDir: string, inUse: ReadonlySet<string>): string[] {
  const removed: string[] = [];
  for (const { kek, path } of readRetiredKeyFiles(dataDir)) {
    if (inUse.has(kek.id)) continue;
    rmSync(path, { force: true });
    removed.push(kek.id);
  }
  return removed;
}
