import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Start order: the kernel and the domain services first, the gateway (which needs their addresses) last. */
export const SERVICES = ["kernel", "auth", "bundles", "storage", "audit", "gateway"] as const;
export type LaunchedService = (typeof SERVICES)[number];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = join(ROOT, "cli/bin/latchflow.mjs");

export interface LaunchOptions {
  /** LATCHFLOW_* variables shared by every process (database URL, NATS URL, …) */
  env: Record<string, string>;
  /** folder for one log file per service; default `.latchflow/logs` */
  logDir?: string;
  /** how long a process may take to become ready; default 30 s */
  readyTimeoutMs?: number;
}

export interface Launched {
  gatewayUrl: string;
  /** host:port of each backend's gRPC server */
  addresses: Record<Exclude<LaunchedService, "gateway">, string>;
  pid(service: LaunchedService): number | undefined;
  /** Sends a signal (e.g. SIGKILL to simulate a crash) and waits for the process to exit. */
  kill(service: LaunchedService, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped service again on the same port. */
  restart(service: LaunchedService): Promise<void>;
  /** Stops every process (SIGTERM, then SIGKILL after 10 s), gateway first. */
  stop(): Promise<void>;
}

/**
 * The byte plane's processes run with a 2 MiB young generation (V8's default grows it to 32 MiB and keeps it):
 * blob buffers are freed by frequent cheap scavenges instead of piling up until a full collection, which cut
 * storage's CPU per download by more than half and the idle RSS by ~30 MiB (ADR 057). The other services keep
 * the default until the pipeline and REST benches are measured with it.
 */
export function nodeFlags(service: LaunchedService): string[] {
  return service === "storage" || service === "gateway" ? ["--max-semi-space-size=2"] : [];
}

/**
 * The byte plane's processes give glibc's malloc a fixed mmap threshold of 64 KiB (ADR 063). By default glibc
 * raises the threshold to the size of the largest block freed (up to 32 MiB), so after the first 1 MiB buffer
 * the byte path's buffers come from the main heap, whose freed middle is never returned: storage kept up to 80 MiB
 * and the gateway up to 45 MiB more after 2 GiB transfers. Fixed, blocks of 64 KiB and more are mapped and
 * unmapped one by one (no CPU cost measured; 16 and 32 KiB cost up to twice the CPU). The other services keep
 * glibc's default. On a VM where a fresh page costs ~10 µs to fault in, this costs the upload two thirds of its
 * speed; 128 KiB there trades ~60 MiB of the gateway's memory for it (ADR 079).
 */
export function nodeEnv(service: LaunchedService): Record<string, string> {
  return service === "storage" || service === "gateway" ? { MALLOC_MMAP_THRESHOLD_: "65536" } : {};
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => res(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    child.once("exit", () => res());
  });
}

/** Starts every service as its own OS process against the shared Postgres and NATS in `env`. */
export async function launch(options: LaunchOptions): Promise<Launched> {
  const logDir = options.logDir ?? join(ROOT, ".latchflow/logs");
  mkdirSync(logDir, { recursive: true });
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const ports = {} as Record<LaunchedService, number>;
  for (const s of SERVICES)
    ports[s] =
      s === "gateway" ? Number(options.env.LATCHFLOW_PORT ?? 0) || (await freePort()) : await freePort();
  const addresses = {
    kernel: `127.0.0.1:${ports.kernel}`,
    auth: `127.0.0.1:${ports.auth}`,
    bundles: `127.0.0.1:${ports.bundles}`,
    storage: `127.0.0.1:${ports.storage}`,
    audit: `127.0.0.1:${ports.audit}`,
  };
  const children = new Map<LaunchedService, ChildProcess>();
  const logs = new Map<LaunchedService, WriteStream>();

  const startOne = (service: LaunchedService): Promise<void> => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...options.env,
      LATCHFLOW_GRPC_HOST: "127.0.0.1",
      LATCHFLOW_GRPC_PORT: String(ports[service]),
      LATCHFLOW_PORT: String(ports.gateway),
      LATCHFLOW_KERNEL_ADDR: addresses.kernel,
      LATCHFLOW_AUTH_ADDR: addresses.auth,
      LATCHFLOW_BUNDLES_ADDR: addresses.bundles,
      LATCHFLOW_STORAGE_ADDR: addresses.storage,
      LATCHFLOW_AUDIT_ADDR: addresses.audit,
      ...nodeEnv(service),
    };
    let log = logs.get(service);
    if (!log) {
      log = createWriteStream(join(logDir, `${service}.log`), { flags: "a" });
      logs.set(service, log);
    }
    const child = spawn(process.execPath, [...nodeFlags(service), BIN, "start", "--service", service], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.set(service, child);
    const sink = log;
    return new Promise((res, rej) => {
      let out = "";
      const timer = setTimeout(
        () =>
          rej(new Error(`${service} not ready within ${readyTimeoutMs} ms; see ${logDir}/${service}.log`)),
        readyTimeoutMs,
      );
      child.stdout?.on("data", (chunk: Buffer) => {
        sink.write(chunk);
        out += chunk.toString("utf8");
        if (/serving gRPC on|listening: open/.test(out)) {
          clearTimeout(timer);
          res();
        }
      });
      child.stderr?.on("data", (chunk: Buffer) => sink.write(chunk));
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        rej(
          new Error(
            `${service} exited (${code ?? signal}) before it was ready; see ${logDir}/${service}.log`,
          ),
        );
      });
    });
  };

  const stopOne = async (service: LaunchedService, signal: NodeJS.Signals) => {
    const child = children.get(service);
    if (!child) return;
    const done = exited(child);
    child.kill(signal);
    const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await done;
    clearTimeout(force);
    children.delete(service);
  };

  const stop = async () => {
    for (const s of [...SERVICES].reverse()) await stopOne(s, "SIGTERM");
    for (const log of logs.values()) log.end();
  };

  try {
    for (const s of SERVICES) await startOne(s);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
    addresses,
    pid: (s) => children.get(s)?.pid,
    kill: (s, signal = "SIGTERM") => stopOne(s, signal),
    restart: (s) => startOne(s),
    stop,
  };
}
