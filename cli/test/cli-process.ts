import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The `latchflow` command, as `pnpm start` runs it. */
export const BIN = fileURLToPath(new URL("../bin/latchflow.mjs", import.meta.url));

/** A running `latchflow` process and what it printed so far. */
export interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/**
 * Runs `latchflow <args>` with the given environment (default: this process's plus `env`), cwd and stdin, under
 * `node` (default: this process's Node); `detached` gives it a process group of its own, as a terminal's job has.
 */
export function run(
  args: string[],
  env: Record<string, string>,
  options: {
    cwd?: string;
    baseEnv?: NodeJS.ProcessEnv;
    input?: string;
    node?: string;
    detached?: boolean;
  } = {},
): Run {
  const child = spawn(options.node ?? process.execPath, [BIN, ...args], {
    detached: options.detached ?? false,
    env: { ...(options.baseEnv ?? process.env), LATCHFLOW_LOG_LEVEL: "warn", ...env },
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Waits for the "open http://…" line and returns the URL (throws if the process exits first). */
export async function untilUrl(r: Run): Promise<string> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const m = /open (http:\/\/\S+)/.exec(r.stdout());
    if (m?.[1]) return m[1];
    if (r.child.exitCode !== null) throw new Error(`exited early: ${r.stderr()}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error("no URL printed");
}
