import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect as natsConnect } from "@nats-io/transport-node";
import pg from "pg";
import { freePort, portAnswers } from "./ports.js";
import { waitFor } from "./wait.js";

const execFileAsync = promisify(execFile);

export const DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres";
export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

/** A server the tests can use; `stop` is set only when this process started it. */
export interface Started {
  url: string;
  /** PID of the server process we started (absent when an existing server is used). */
  pid?: number;
  /** Temporary folder holding its data (removed by `stop`). */
  dir?: string;
  stop?: () => Promise<void>;
}

export interface EnsureOptions {
  /** Server to try first. Defaults to LATCHFLOW_TEST_PG_URL / LATCHFLOW_TEST_NATS_URL, then the 127.0.0.1 default. */
  url?: string;
  /** Folders searched for the server binaries. Defaults to PATH plus the Debian install locations. */
  binDirs?: string[];
  /** How long a private server may take to come up (default 60 s for PostgreSQL, 20 s for NATS). */
  startTimeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------------------
// PostgreSQL

export async function ensurePostgres(opts: EnsureOptions = {}): Promise<Started> {
  const url = opts.url ?? (process.env.LATCHFLOW_TEST_PG_URL || DEFAULT_PG_URL);
  const { hostname, port } = new URL(url);
  if (await portAnswers(hostname, Number(port || 5432))) {
    try {
      await pgQueries(url);
    } catch (err) {
      throw new Error(
        `Something answers at ${hostname}:${port || 5432} but PostgreSQL at ${url} cannot be used: ${message(err)}. ` +
          "Fix that server, or point LATCHFLOW_TEST_PG_URL at a working one (trust auth, database `postgres`).",
      );
    }
    return { url };
  }
  const dirs = opts.binDirs ?? [...pathDirs(), ...debianPostgresBinDirs()];
  const binDir = dirs.find((d) => existsSync(join(d, "initdb")) && existsSync(join(d, "postgres")));
  if (!binDir) {
    throw new Error(
      `PostgreSQL does not answer at ${url}, and no initdb/postgres binaries were found (searched: ${dirs.join(", ") || "nothing"}) ` +
        "to start a private one. Install the Debian package `postgresql` (apt-get install postgresql), " +
        "or start PostgreSQL on 127.0.0.1:5432, or set LATCHFLOW_TEST_PG_URL.",
    );
  }
  return startPrivatePostgres(binDir, opts.startTimeoutMs ?? 60_000);
}

async function startPrivatePostgres(binDir: string, timeoutMs: number): Promise<Started> {
  const owner = postgresOwner();
  const dir = mkdtempSync(join(tmpdir(), "latchflow-pg-"));
  const data = join(dir, "data");
  const logFile = join(dir, "postgres.log");
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const asOwner = owner
    ? { uid: owner.uid, gid: owner.gid, env: { ...process.env, HOME: dir, USER: "postgres" } }
    : {};

  try {
    // Throwaway cluster: C locale, UTF-8, trust auth for the superuser `postgres`, no fsync while writing it.
    const initdbArgs = ["--pgdata", data, "--username", "postgres", "--auth", "trust", "--encoding", "UTF8"];
    await execFileAsync(join(binDir, "initdb"), [...initdbArgs, "--no-locale", "--no-sync"], {
      ...asOwner,
      timeout: timeoutMs,
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(
      `initdb failed${owner ? " (run as the `postgres` OS user)" : ""}: ${stderr || message(err)}` +
        (owner ? `; the user \`postgres\` must be able to write ${dir}` : ""),
    );
  }

  const port = await freePort();
  // Durability off: the cluster is thrown away after the run.
  const settings = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: dir,
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    max_connections: "200",
  };
  const args = [
    "-D",
    data,
    "-p",
    String(port),
    ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
  ];
  const log = openSync(logFile, "a");
  const child = spawn(join(binDir, "postgres"), args, { ...asOwner, stdio: ["ignore", log, log] });
  closeSync(log);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  // SIGINT = "fast shutdown": does not wait for clients a test may have leaked.
  const stop = track(child, dir, "SIGINT");
  try {
    await untilReady(child, logFile, () => pgQueries(url).then(() => true), {
      timeoutMs,
      description: `the private PostgreSQL on port ${port} to accept queries`,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, pid: child.pid, dir, stop };
}

/** As root, PostgreSQL refuses to run: its files and processes then belong to the `postgres` OS user. */
function postgresOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (!uid || !gid) {
    throw new Error(
      "Running as root, and PostgreSQL refuses to run as root, but there is no `postgres` OS user to run it as " +
        "(the Debian package `postgresql` creates one; or run the tests as a regular user).",
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/** Newest version first: /usr/lib/postgresql/<version>/bin. */
function debianPostgresBinDirs(): string[] {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    .map((v) => join(root, v, "bin"));
}

async function pgQueries(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } finally {
    await client.end().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------------
// NATS

export async function ensureNats(opts: EnsureOptions = {}): Promise<Started> {
  const url = opts.url ?? (process.env.LATCHFLOW_TEST_NATS_URL || DEFAULT_NATS_URL);
  const { hostname, port } = new URL(url);
  if (await portAnswers(hostname, Number(port || 4222))) {
    try {
      await natsJetStreamWorks(url);
    } catch (err) {
      throw new Error(
        `Something answers at ${hostname}:${port || 4222} but NATS JetStream at ${url} cannot be used: ${message(err)}. ` +
          "Start nats-server with -js, or point LATCHFLOW_TEST_NATS_URL at one that has JetStream.",
      );
    }
    return { url };
  }
  const dirs = opts.binDirs ?? [...pathDirs(), "/usr/sbin", "/usr/bin", "/usr/local/bin"];
  const binDir = dirs.find((d) => existsSync(join(d, "nats-server")));
  if (!binDir) {
    throw new Error(
      `NATS does not answer at ${url}, and no nats-server binary was found (searched: ${dirs.join(", ") || "nothing"}) ` +
        "to start a private one. Install the Debian package `nats-server` (apt-get install nats-server), " +
        "or start `nats-server -js` on 127.0.0.1:4222, or set LATCHFLOW_TEST_NATS_URL.",
    );
  }
  return startPrivateNats(binDir, opts.startTimeoutMs ?? 20_000);
}

async function startPrivateNats(binDir: string, timeoutMs: number): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), "latchflow-nats-"));
  const logFile = join(dir, "nats-server.log");
  const port = await freePort();
  const log = openSync(logFile, "a");
  const child = spawn(
    join(binDir, "nats-server"),
    ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", join(dir, "jetstream")],
    { stdio: ["ignore", log, log] },
  );
  closeSync(log);
  const url = `nats://127.0.0.1:${port}`;
  const stop = track(child, dir, "SIGTERM");
  try {
    await untilReady(child, logFile, () => natsJetStreamWorks(url).then(() => true), {
      timeoutMs,
      description: `the private nats-server on port ${port} to serve JetStream`,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, pid: child.pid, dir, stop };
}

async function natsJetStreamWorks(url: string): Promise<void> {
  const nc = await natsConnect({ servers: url, timeout: 3000, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 3000 });
    await jsm.getAccountInfo();
  } finally {
    await nc.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------------
// Process bookkeeping

const live = new Map<ChildProcess, string>();
let exitHookInstalled = false;

/**
 * Returns an idempotent stop function: signal, wait up to 10 s, then SIGKILL; removes the data folder.
 * A last-resort exit hook kills whatever is still running if the test process ends without teardown.
 */
function track(child: ChildProcess, dir: string, signal: NodeJS.Signals): () => Promise<void> {
  live.set(child, dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const [c, d] of live) {
        if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
        rmSync(d, { recursive: true, force: true });
      }
    });
  }
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill(signal);
        const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(killer);
      }
      live.delete(child);
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
}

/** Polls `ready` until it holds, failing at once (with the server's log) if the process exits first. */
async function untilReady(
  child: ChildProcess,
  logFile: string,
  ready: () => Promise<boolean>,
  opts: { timeoutMs: number; description: string },
): Promise<void> {
  const logTail = () => {
    try {
      return readFileSync(logFile, "utf8").trim().split("\n").slice(-15).join("\n");
    } catch {
      return "(no log)";
    }
  };
  let onExit: (() => void) | undefined;
  const exited = new Promise<never>((_, reject) => {
    onExit = () => reject(new Error(`${opts.description}: the process exited early. Its log:\n${logTail()}`));
    child.once("exit", onExit);
    child.once("error", (err) => reject(new Error(`${opts.description}: could not start: ${err.message}`)));
  });
  try {
    await Promise.race([waitFor(ready, { ...opts, intervalMs: 100 }), exited]);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith("Timed out")) {
      throw new Error(`${err.message}. Its log:\n${logTail()}`);
    }
    throw err;
  } finally {
    if (onExit) child.off("exit", onExit);
    exited.catch(() => {});
  }
}

function pathDirs(): string[] {
  return (process.env.PATH ?? "").split(delimiter).filter(Boolean);
}

function message(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return err.errors.map(message).join("; ");
  return err instanceof Error ? err.message || err.name : String(err);
}
