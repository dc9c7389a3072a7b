import { type ChildProcess, fork } from "node:child_process";
import type { HostCapabilities, Json, SandboxError } from "@latchflow/sandbox";
import type { ChildScript } from "./child-script.js";
import type { InvocationTrace } from "./protocol.js";

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

/** Forks a plugin host child (`host-main.ts`, see `childScript`, with `args`) with nothing in flight yet. */
export function forkGeneration(script: ChildScript, args: string[]): Generation {
  const proc = fork(script.file, args, {
    execPath: process.execPath,
    execArgv: script.execArgv,
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
