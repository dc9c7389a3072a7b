import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { freePort } from "./ports.js";
import { waitFor } from "./wait.js";

/** Package names the test registry serves itself (everything else is proxied to `uplink`). */
export const LOCAL_PACKAGE_PATTERNS = ["@latchflow/*", "latchflow-plugin-*", "create-latchflow-plugin"];

export interface LocalRegistryOptions {
  /** Where unknown packages come from; `false` serves local packages only (default https://registry.npmjs.org/). */
  uplink?: string | false;
  /** Largest accepted publish body (Verdaccio's `max_body_size`, default "20mb"). */
  maxBodySize?: string;
  /** Milliseconds to wait for the server to answer `/-/ping` (default 30000). */
  startTimeoutMs?: number;
}

/** A running Verdaccio (a real npm registry) on 127.0.0.1 with its storage in a temp dir. */
export interface LocalRegistry {
  /** e.g. http://127.0.0.1:40123/ (with the trailing slash npm expects) */
  url: string;
  /** A token of the user `latchflow-test` (created at start) for `Authorization: Bearer` / `.npmrc`. */
  token: string;
  /** Path of an `.npmrc` holding `registry=` and the token (pass as `--userconfig` or `NPM_CONFIG_USERCONFIG`). */
  npmrc: string;
  /** Verdaccio's package storage: `<storage>/<name>/<name>-<version>.tgz` (tests may tamper with it). */
  storage: string;
  /** Creates another user through the npm adduser API and returns its token. */
  addUser(name: string, password: string): Promise<string>;
  /** Stops the server and removes every file (idempotent). */
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

function verdaccioBin(): string {
  return join(dirname(require.resolve("verdaccio/package.json")), "bin", "verdaccio");
}

function configYaml(dir: string, port: number, options: LocalRegistryOptions): string {
  const uplink = options.uplink === undefined ? "https://registry.npmjs.org/" : options.uplink;
  const local = LOCAL_PACKAGE_PATTERNS.map(
    (p) => `  '${p}':\n    access: $all\n    publish: $all\n    unpublish: $all\n`,
  ).join("");
  return [
    `storage: ${JSON.stringify(join(dir, "storage"))}`,
    "auth:",
    "  htpasswd:",
    `    file: ${JSON.stringify(join(dir, "htpasswd"))}`,
    "    max_users: 1000",
    uplink ? `uplinks:\n  npmjs:\n    url: ${JSON.stringify(uplink)}\n    timeout: 30s` : "uplinks: {}",
    "packages:",
    `${local}  '**':\n    access: $all\n    publish: $authenticated${uplink ? "\n    proxy: npmjs" : ""}`,
    `listen: 127.0.0.1:${port}`,
    `max_body_size: ${options.maxBodySize ?? "20mb"}`,
    "web:\n  enable: false",
    "log: { type: stdout, format: json, level: warn }",
    "",
  ].join("\n");
}

/** npm's adduser call (`PUT /-/user/org.couchdb.user:<name>`); Verdaccio answers with a token. */
async function addUser(url: string, name: string, password: string): Promise<string> {
  const res = await fetch(new URL(`-/user/org.couchdb.user:${encodeURIComponent(name)}`, url), {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ _id: `org.couchdb.user:${name}`, name, password, type: "user", roles: [] }),
  });
  const body = (await res.json()) as { token?: string; error?: string };
  if (!res.ok || !body.token) throw new Error(`adduser ${name}: HTTP ${res.status} ${body.error ?? ""}`);
  return body.token;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/**
 * Starts Verdaccio 6 as a child process on 127.0.0.1 (a free port) with a temp storage dir. Packages
 * matching {@link LOCAL_PACKAGE_PATTERNS} are served locally and may be published anonymously; all others
 * are proxied to the uplink (so a plugin's own dependencies install). A user `latchflow-test` is created
 * so `npm publish` (which insists on credentials) works with `token` / `npmrc`.
 */
export async function startLocalRegistry(options: LocalRegistryOptions = {}): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "latchflow-registry-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const config = join(dir, "config.yaml");
  writeFileSync(config, configYaml(dir, port, options));
  const child = spawn(process.execPath, [verdaccioBin(), "--config", config], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const done = exited(child);
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await done;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`verdaccio exited (${child.exitCode}): ${output}`);
        const res = await fetch(new URL("-/ping", url));
        return res.ok;
      },
      { timeoutMs: options.startTimeoutMs ?? 30_000, intervalMs: 100, description: `verdaccio on ${url}` },
    );
    const token = await addUser(url, "latchflow-test", "latchflow-test-password");
    const npmrc = join(dir, ".npmrc");
    const hostPath = url.replace(/^https?:/, "");
    writeFileSync(npmrc, `registry=${url}\n${hostPath}:_authToken=${token}\n`);
    return {
      url,
      token,
      npmrc,
      storage: join(dir, "storage"),
      addUser: (name, password) => addUser(url, name, password),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
