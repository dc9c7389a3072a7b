import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "@latchflow/cli/testing";
import { expect } from "vitest";
import type { Browser, Stack } from "../stack.js";

/** What a finished `latchflow` run printed, and its exit code. */
export interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** An operator's machine: its own config folder (no keychain: there is no D-Bus session here), no LATCHFLOW_*. */
export class Operator {
  readonly home = mkdtempSync(join(tmpdir(), "lf-cli-"));
  readonly configDir = join(this.home, "config", "latchflow");
  constructor(readonly extra: Record<string, string> = {}) {}

  env(more: Record<string, string> = {}): Record<string, string> {
    return {
      HOME: this.home,
      XDG_CONFIG_HOME: join(this.home, "config"),
      NO_COLOR: "1",
      ...this.extra,
      ...more,
    };
  }

  /** The environment without the test process's LATCHFLOW_* and D-Bus variables. */
  private base(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith("LATCHFLOW_") || k.startsWith("DBUS_")) delete env[k];
    return env;
  }

  /** Runs `latchflow <args>`; `input` is written to its stdin (otherwise stdin is closed). */
  start(args: string[], more: Record<string, string> = {}, input?: string) {
    return run(args, this.env(more), {
      baseEnv: this.base(),
      cwd: this.home,
      ...(input !== undefined ? { input } : {}),
    });
  }

  async cli(args: string[], more: Record<string, string> = {}, input?: string): Promise<Done> {
    const r = this.start(args, more, input);
    const code = await r.exit;
    return { code, stdout: r.stdout(), stderr: r.stderr() };
  }

  /** Runs a command with --json and returns its parsed output (fails the test on a non-zero exit). */
  async json(args: string[], more: Record<string, string> = {}): Promise<unknown> {
    const done = await this.cli([...args, "--json"], more);
    expect(done.code, done.stderr).toBe(0);
    return JSON.parse(done.stdout);
  }

  remove(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** Waits until `read()` matches `re`, returning the first group. */
export async function waitFor(read: () => string, re: RegExp, ms = 30_000): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const m = re.exec(read());
    if (m) return m[1] ?? m[0];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${re} in:\n${read()}`);
}

/** An admin approving (or denying) a device code as the admin app's /admin/device page does (typed client, CSRF). */
export async function decideDevice(
  owner: Browser,
  userCode: string,
  decision: "approve" | "deny",
): Promise<void> {
  const ui = owner.client();
  expect((await ui.getDeviceAuthorization({ params: { userCode } })).status).toBe("pending");
  const decided = await ui.decideDeviceAuthorization({ params: { userCode }, body: { decision } });
  expect(decided.status).toBe(decision === "approve" ? "approved" : "denied");
}

/** `latchflow login` against the stack, approved by `owner` as on the /admin/device page. */
export async function deviceLogin(
  op: Operator,
  s: Stack,
  owner: Browser,
  args: string[] = [],
): Promise<Done> {
  const r = op.start(["login", "--server", s.base, "--no-browser", "--json", ...args]);
  const code = await waitFor(r.stderr, /^\s+([A-Z0-9]{4}-[A-Z0-9]{4})\s*$/m);
  await decideDevice(owner, code, "approve");
  const exit = await r.exit;
  return { code: exit, stdout: r.stdout(), stderr: r.stderr() };
}
