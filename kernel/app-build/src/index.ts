/**
 * Builds a static web app (vite + SvelteKit's adapter-static) when its sources changed since the last build
 * (ADR 024, ADR 027): the portal and the admin app share this; each names its own folder and sources.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";

/** What one app tells the builder. */
export interface StaticAppSpec {
  /** for the log line, e.g. "the recipient portal" */
  title: string;
  /** the app's folder (its package.json, vite.config.ts); the build lands in `<root>/build` */
  root: string;
  /** every file or folder a build reads besides node_modules (absolute paths) */
  sources: string[];
  /** folders written by the build itself: never hashed (they would change what they hash) */
  generated?: string[];
  /** the environment variable the app's vite config reads as its output folder */
  outEnv: string;
}

export interface AppBuild {
  /** the folder to serve */
  dir: string;
  /** whether this call built it (else the existing build matched the sources) */
  built: boolean;
  /** how long the check (and build) took */
  ms: number;
}

/** The file in a build naming the hashes its pages need in their Content-Security-Policy. */
export const CSP_FILE = "csp.json";
const STAMP = ".source-hash";
/** A lock older than this was left by a process that died mid-build. */
const STALE_LOCK_MS = 10 * 60_000;

/** The served folder of an app: the SPA shell (`200.html`), its assets under `_app/`, and the static files. */
export const appBuildDir = (spec: Pick<StaticAppSpec, "root">) => join(spec.root, "build");

async function listFiles(path: string, skip: string[], into: string[]): Promise<void> {
  if (skip.includes(path) || !existsSync(path)) return;
  const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
  if (!entries) {
    into.push(path);
    return;
  }
  for (const e of entries) await listFiles(join(path, e.name), skip, into);
}

/** A hash of the sources' paths and contents (not their times: a fresh clone's are all the same). */
export async function appSourceHash(spec: StaticAppSpec): Promise<string> {
  const files: string[] = [];
  for (const s of spec.sources) await listFiles(s, spec.generated ?? [], files);
  files.sort();
  const hash = createHash("sha256");
  for (const f of files) {
    hash.update(relative(spec.root, f)).update("\0");
    hash.update(await readFile(f)).update("\0");
  }
  return hash.digest("hex");
}

function runVite(spec: StaticAppSpec, out: string): Promise<void> {
  const pkg = createRequire(join(spec.root, "package.json")).resolve("vite/package.json");
  const vite = join(dirname(pkg), "bin", "vite.js");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vite, "build", "--logLevel", "warn"], {
      cwd: spec.root,
      env: { ...process.env, [spec.outEnv]: out, NODE_ENV: "production" },
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
      code === 0 ? resolve() : reject(new Error(`${spec.title} build failed (exit ${code}):\n${output}`)),
    );
  });
}

/**
 * Static `style="…"` attributes compiled into the app's templates (SvelteKit's route announcer has one): a strict
 * `style-src` blocks them unless each exact value is allowed by its hash (`style-src-attr 'unsafe-hashes'`).
 */
async function writeCspFile(dir: string): Promise<void> {
  const files: string[] = [];
  await listFiles(join(dir, "_app"), [], files);
  const styles = new Set<string>();
  for (const f of files.filter((f) => f.endsWith(".js"))) {
    for (const m of (await readFile(f, "utf8")).matchAll(/\sstyle="([^"\\<>{}]*)"/g)) styles.add(m[1]!);
  }
  const styleAttr = [...styles]
    .sort()
    .map((v) => `sha256-${createHash("sha256").update(v).digest("base64")}`);
  await writeFile(join(dir, CSP_FILE), `${JSON.stringify({ styleAttr }, null, 2)}\n`);
}

/** Whether the process that took the lock is gone (killed mid-build): then the lock is stale at once. */
async function holderIsGone(lock: string): Promise<boolean> {
  const pid = Number(await readFile(join(lock, "pid"), "utf8").catch(() => ""));
  if (!Number.isInteger(pid) || pid <= 0) return false; // not written yet: the holder is just starting
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Held while one process builds; others wait for it, then find the build fresh. */
async function withLock<T>(lock: string, work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, "pid"), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const held = await stat(lock).catch(() => undefined);
      if (held && (Date.now() - held.mtimeMs > STALE_LOCK_MS || (await holderIsGone(lock)))) {
        await rm(lock, { recursive: true, force: true });
      } else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function isFresh(dir: string, hash: string): Promise<boolean> {
  const stamp = await readFile(join(dir, STAMP), "utf8").catch(() => "");
  return stamp.trim() === hash;
}

/**
 * Builds the app into `build/` when it is missing or its stamp differs from the sources' hash. One process builds
 * at a time (a lock folder, `.build-lock`); the build goes to a private folder first and is swapped in, so a
 * server never serves a half-written folder.
 */
export async function ensureAppBuilt(
  spec: StaticAppSpec,
  options: { log?: (line: string) => void } = {},
): Promise<AppBuild> {
  const started = performance.now();
  const dir = appBuildDir(spec);
  const done = (built: boolean): AppBuild => ({ dir, built, ms: performance.now() - started });
  const hash = await appSourceHash(spec);
  if (await isFresh(dir, hash)) return done(false);
  return withLock(join(spec.root, ".build-lock"), async () => {
    // another process may have built it while this one waited
    if (await isFresh(dir, hash)) return done(false);
    options.log?.(`Building ${spec.title} (once per change of its sources)…`);
    const tmp = join(spec.root, `.build-${process.pid}-${Date.now()}`);
    try {
      await runVite(spec, tmp);
      await writeCspFile(tmp);
      await writeFile(join(tmp, STAMP), `${hash}\n`);
      const old = join(spec.root, `.build-old-${process.pid}-${Date.now()}`);
      await rename(dir, old).catch(() => {});
      await rename(tmp, dir);
      await rm(old, { recursive: true, force: true });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return done(true);
  });
}
