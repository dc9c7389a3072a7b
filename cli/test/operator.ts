// Operator command tests: one embedded server per test file (`latchflow start` as a subprocess, SQLite and the
// in-process bus in a temporary data dir) and `latchflow <command>` run against it as a subprocess.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { z } from "zod";
import { run, untilUrl } from "./cli-process.js";

/** The owner's token (LATCHFLOW_BOOTSTRAP_TOKEN of the first start). */
export const OWNER_TOKEN = "cli-operator-owner-token-0123456789abcdef";

export interface Server {
  url: string;
  /** the server's data dir (the launcher's `audit` commands open it) */
  dataDir: string;
  /** a scratch folder for the test's files, removed by stop() */
  work: string;
  /** the environment the server runs with (for launcher commands on the same data) */
  serverEnv: Record<string, string>;
  stop(): Promise<void>;
}

export async function startServer(prefix: string): Promise<Server> {
  const root = mkdtempSync(join(tmpdir(), `lf-${prefix}-`));
  const dataDir = join(root, "data");
  const serverEnv = {
    LATCHFLOW_DATA_DIR: dataDir,
    LATCHFLOW_PORT: "0",
    LATCHFLOW_BOOTSTRAP_TOKEN: OWNER_TOKEN,
  };
  const server = run(["start"], serverEnv);
  const url = await untilUrl(server);
  return {
    url,
    dataDir,
    work: root,
    serverEnv,
    async stop() {
      server.child.kill("SIGTERM");
      await server.exit;
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `latchflow <args>` against the server, signed in with `token` (default the owner's) through LATCHFLOW_TOKEN,
 * with a HOME of its own so no profile of the machine's user is read.
 */
export async function cli(
  s: Server,
  args: string[],
  options: { token?: string; input?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const r = run(
    args,
    {
      HOME: s.work,
      XDG_CONFIG_HOME: join(s.work, "config"),
      LATCHFLOW_SERVER: s.url,
      LATCHFLOW_TOKEN: options.token ?? OWNER_TOKEN,
      ...options.env,
    },
    { cwd: s.work, ...(options.input !== undefined ? { input: options.input } : {}) },
  );
  const code = await r.exit;
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

/** Expects exit 0 and returns stdout. */
export async function ok(s: Server, args: string[], options?: Parameters<typeof cli>[2]): Promise<string> {
  const r = await cli(s, args, options);
  expect(r.code, `latchflow ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Runs with --json, expects exit 0, and checks stdout against the command's documented shape. */
export async function okJson<S extends z.ZodType>(
  s: Server,
  args: string[],
  shape: S,
  options?: Parameters<typeof cli>[2],
): Promise<z.output<S>> {
  const parsed = shape.safeParse(JSON.parse(await ok(s, [...args, "--json"], options)));
  expect(parsed.error?.issues ?? [], `latchflow ${args.join(" ")} --json`).toEqual([]);
  return parsed.data as z.output<S>;
}

/** Expects a failure with `code`, and with --json the error shape on stderr naming `errorCode`. */
export async function fails(
  s: Server,
  args: string[],
  code: number,
  errorCode: string,
  options?: Parameters<typeof cli>[2],
): Promise<CliResult> {
  const r = await cli(s, [...args, "--json"], options);
  expect(r.code, `latchflow ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(code);
  const line = r.stderr.trim().split("\n").at(-1) ?? "";
  expect(JSON.parse(line)).toMatchObject({ error: { code: errorCode, exitCode: code } });
  return r;
}
