// For the tests that use the SDK as an author does: built, packed with pnpm, published to a local registry
// (Verdaccio, @latchflow/testing), and installed by npm into empty folders outside the workspace.
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type LocalRegistry, startLocalRegistry } from "@latchflow/testing";

const run = promisify(execFile);

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const SDK_DIR = join(REPO, "plugins", "sdk");
export const CREATE_DIR = join(REPO, "plugins", "create-latchflow-plugin");

/** npm's cache, shared by the test runs (tarballs are keyed by integrity); `npm create`'s installs are not. */
const NPM_CACHE = join(tmpdir(), "latchflow-sdk-tests-npm-cache");

export interface Packed {
  /** the SDK's tarball, as `pnpm pack` wrote it */
  sdk: string;
  /** create-latchflow-plugin's tarball */
  create: string;
  dir: string;
}

/** Builds the SDK (`node scripts/build.mjs`, the package's `build` script) and packs both packages. */
export async function buildAndPack(): Promise<Packed> {
  const dir = await mkdtemp(join(tmpdir(), "lf-sdk-pack-"));
  await run(process.execPath, ["scripts/build.mjs"], { cwd: SDK_DIR });
  const pack = async (cwd: string) => {
    const { stdout } = await run("pnpm", ["pack", "--pack-destination", dir], { cwd });
    const file = stdout.trim().split("\n").at(-1) ?? "";
    if (!file.endsWith(".tgz")) throw new Error(`pnpm pack printed no tarball: ${stdout}`);
    return file;
  };
  return { sdk: await pack(SDK_DIR), create: await pack(CREATE_DIR), dir };
}

/** A local registry holding the packed SDK and create-latchflow-plugin (everything else proxied to npm). */
export async function registryWith(packed: Packed): Promise<LocalRegistry> {
  const registry = await startLocalRegistry();
  try {
    for (const tarball of [packed.sdk, packed.create]) {
      await run("npm", ["publish", tarball, "--userconfig", registry.npmrc], {
        env: npmEnv(registry, tmpdir()),
      });
    }
  } catch (err) {
    await registry.stop();
    throw err;
  }
  return registry;
}

/**
 * The environment of a reader's shell: node and npm on PATH (nothing of the workspace), a fresh HOME, npm
 * configured for the local registry, `LATCHFLOW_PLUGIN_REGISTRY` naming it.
 */
export function npmEnv(registry: LocalRegistry, home: string, extraPath: string[] = []): NodeJS.ProcessEnv {
  return {
    PATH: [...extraPath, dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
    HOME: home,
    LANG: "C.UTF-8",
    NPM_CONFIG_USERCONFIG: registry.npmrc,
    npm_config_cache: NPM_CACHE,
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    npm_config_yes: "true",
    LATCHFLOW_PLUGIN_REGISTRY: registry.url,
  };
}

/** An empty folder outside the workspace, with a HOME beside it; `npm create`'s cached installs dropped. */
export async function emptyFolder(): Promise<{ dir: string; home: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), "lf-sdk-author-"));
  const dir = join(root, "work");
  const home = join(root, "home");
  await mkdir(dir);
  await mkdir(home);
  // `npm create x@latest` reuses an earlier install of the same spec: it would run an SDK built before
  await rm(join(NPM_CACHE, "_npx"), { recursive: true, force: true });
  return { dir, home, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export interface Shell {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a shell script (bash, -e -o pipefail) in `cwd`. */
export function sh(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Shell> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-e", "-o", "pipefail", "-c", script], { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
