import { type ChildProcess, fork } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { HostCapabilities, Json, SandboxError } from "@latchflow/sandbox";
import type { InvocationTrace } from "./protocol.js";

const HOST_MAIN = fileURLToPath(new URL("./host-main.ts", import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const EXEC_ARGV = ["--no-node-snapshot", "--import", TSX_LOADER];

export interface Pending<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

export interface Invocation extends Pending<Json> {
  plugin: string;
  capabilities: HostCapabilities;
  timer: NodeJS.Timeout;
  trace: InvocationTrace;
}

/** One forked child and the work in flight on it. */
export interface Generation {
  proc: ChildProcess;
  startedAt: number;
  exited: boolean;
  invocations: Map<number, Invocation>;
  loads: Map<number, Pending<void>>;
  pings: Map<number, Pending<void>>;
}

/** Forks a plugin host child (`host-main.ts`) with nothing in flight yet. */
export function forkGeneration(): Generation {
  const proc = fork(HOST_MAIN, [], {
    execPath: process.execPath,
    execArgv: EXEC_ARGV,
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return {
    proc,
    startedAt: Date.now(),
    exited: false,
    invocations: new Map(),
    loads: new Map(),
    pings: new Map(),
  };
}

/** Rejects everything in flight on the child with a fresh `error()` each. */
export function failAll(gen: Generation, error: () => SandboxError): void {
  for (const inv of gen.invocations.values()) {
    clearTimeout(inv.timer);
    inv.reject(error());
  }
  gen.invocations.clear();
  for (const load of gen.loads.values()) load.reject(error());
  gen.loads.clear();
  for (const ping of gen.pings.values()) ping.reject(error());
  gen.pings.clear();
}
