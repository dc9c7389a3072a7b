import type { PluginHost } from "../src/index.js";

/** A plugin script with the given capability entries (object literal members). */
export function pluginCode(members: string): string {
  return `globalThis.plugin = { capabilities: { ${members} } };`;
}

export const PING = `"ping@1": { kind: "action", run(input) { return { pong: input }; } }`;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function pidOf(host: PluginHost): number {
  const pid = host.pid();
  if (pid === undefined) throw new Error("no child running");
  return pid;
}

/** Awaits a rejection and returns it (fails if the promise resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    const value = await promise;
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (err) {
    return err as Record<string, unknown>;
  }
}
