/**
 * The portal's built files, for the launcher: where they are, and a build when they are missing or older than
 * their sources (ADR 024). Node only; the app itself lives in `src/`.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
/** The served folder: the SPA shell (`200.html`), its assets under `_app/`, and the static files. */
export const portalBuildDir = join(root, "build");
const STAMP = ".source-hash";

/** Everything a build reads besides node_modules: the app, its messages and config, the API client, this file. */
function sources(): string[] {
  const api = dirname(fileURLToPath(import.meta.resolve("@latchflow/api")));
  return [
    join(root, "src"),
    join(root, "static"),
    join(root, "messages"),
    join(root, "project.inlang", "settings.json"),
    join(root, "vite.config.ts"),
    join(root, "package.json"),
    fileURLToPath(import.meta.url),
    api,
  ];
}

/** Generated during the build; never part of the hash (it would change what it hashes). */
const GENERATED = join(root, "src", "lib", "paraglide");

async function listFiles(path: string, into: string[]): Promise<void> {
  if (path === GENERATED || !existsSync(path)) return;
  const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
  if (!entries) {
    into.push(path);
    return;
  }
  for (const e of entries) await listFiles(join(path, e.name), into);
}

/** A hash of the sources' paths and contents (not their times: a fresh clone's are all the same). */
export async function portalSourceHash(): Promise<string> {
  const files: string[] = [];
  for (const s of sources()) await listFiles(s, files);
  files.sort();
  const hash = createHash("sha256");
  for (const f of files) {
    hash.update(relative(root, f)).update("\0");
    hash.update(await readFile(f)).update("\0");
  }
  return hash.digest("hex");
}

export interface PortalBuild {
  /** the folder to serve */
  dir: string;
  /** whether this call built it (else the existing build matched the sources) */
  built: boolean;
  /** how long the check (and build) took */
  ms: number;
}

function runVite(out: string): Promise<void> {
  const pkg = createRequire(join(root, "package.json")).resolve("vite/package.json");
  const vite = join(dirname(pkg), "bin", "vite.js");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vite, "build", "--logLevel", "warn"], {
      cwd: root,
      env: { ...process.env, LATCHFLOW_PORTAL_OUT: out, NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (b: Buffer) => {
      output = (output + b.toString()).slice(-4_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`portal build failed (exit ${code}):\n${output}`)),
    );
  });
}

/** The file in the build naming the hashes its pages need in their Content-Security-Policy. */
export const CSP_FILE = "csp.json";

/**
 * Static `style="…"` attributes compiled into the app's templates (SvelteKit's route announcer has one): a strict
 * `style-src` blocks them unless each exact value is allowed by its hash (`style-src-attr 'unsafe-hashes'`).
 */
async function writeCspFile(dir: string): Promise<void> {
  const files: string[] = [];
  await listFiles(join(dir, "_app"), files);
  const styles = new Set<string>();
  for (const f of files.filter((f) => f.endsWith(".js"))) {
    for (const m of (await readFile(f, "utf8")).matchAll(/\sstyle="([^"\\<>{}]*)"/g)) styles.add(m[1]!);
  }
  const styleAttr = [...styles]
    .sort()
    .map((v) => `sha256-${createHash("sha256").update(v).digest("base64")}`);
  await writeFile(join(dir, CSP_FILE), `${JSON.stringify({ styleAttr }, null, 2)}\n`);
}

/** Held while one process builds; others wait for it, then find the build fresh. */
const LOCK = join(root, ".build-lock");
/** A lock older than this was left by a process that died mid-build. */
const STALE_LOCK_MS = 10 * 60_000;

/** Whether the process that took the lock is gone (killed mid-build): then the lock is stale at once. */
async function holderIsGone(): Promise<boolean> {
  const pid = Number(await readFile(join(LOCK, "pid"), "utf8").catch(() => ""));
  if (!Number.isInteger(pid) || pid <= 0) return false; // not written yet: the holder is just starting
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await mkdir(LOCK);
      await writeFile(join(LOCK, "pid"), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const held = await stat(LOCK).catch(() => undefined);
      if (held && (Date.now() - held.mtimeMs > STALE_LOCK_MS || (await holderIsGone()))) {
        await rm(LOCK, { recursive: true, force: true });
      } else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await work();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

async function isFresh(hash: string): Promise<boolean> {
  const stamp = await readFile(join(portalBuildDir, STAMP), "utf8").catch(() => "");
  return stamp.trim() === hash;
}

/**
 * Builds the portal into `build/` when it is missing or its stamp differs from the sources' hash. One process
 * builds at a time (a lock folder); the build goes to a private folder first and is swapped in, so a server
 * never serves a half-written folder.
 */
export async function ensurePortalBuilt(
  options: { log?: (line: string) => void } = {},
): Promise<PortalBuild> {
  const started = performance.now();
  const hash = await portalSourceHash();
  if (await isFresh(hash)) return { dir: portalBuildDir, built: false, ms: performance.now() - started };
  return withLock(async () => {
    // another process may have built it while this one waited
    if (await isFresh(hash)) return { dir: portalBuildDir, built: false, ms: performance.now() - started };
    options.log?.("Building the recipient portal (once per change of its sources)…");
    const tmp = join(root, `.build-${process.pid}-${Date.now()}`);
    try {
      await runVite(tmp);
      await writeCspFile(tmp);
      await writeFile(join(tmp, STAMP), `${hash}\n`);
      const old = join(root, `.build-old-${process.pid}-${Date.now()}`);
      await rename(portalBuildDir, old).catch(() => {});
      await rename(tmp, portalBuildDir);
      await rm(old, { recursive: true, force: true });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return { dir: portalBuildDir, built: true, ms: performance.now() - started };
  });
}
