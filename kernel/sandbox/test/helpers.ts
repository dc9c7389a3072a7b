import { expect } from "vitest";
import type { HostCapabilities, Json, LoadedPlugin, SandboxErrorCode } from "../src/index.js";
import { IsolatedVmRuntime } from "../src/index.js";

/** Small limits keep every attack well under a second. */
export const runtime = new IsolatedVmRuntime({ limits: { memoryMb: 16, cpuTimeoutMs: 150 } });
export const DEADLINE = { deadlineMs: 400 };

/**
 * Memory bombs reach the 16 MB heap limit in ~150–250 ms of CPU: on a saturated machine that can take longer
 * than `runtime`'s 150 ms CPU timeout or `DEADLINE`, which then fires first (`sandbox_timeout`). They run in
 * a runtime whose time limits are far above that, so only the memory limit can stop them.
 */
const roomyRuntime = new IsolatedVmRuntime({ limits: { memoryMb: 16, cpuTimeoutMs: 10_000 } });
export const ROOMY_DEADLINE = { deadlineMs: 15_000 };

const PING = `"ping@1": { kind: "action", run(input) { return { pong: input }; } }`;

/** A plugin whose `attack@1` capability has the given `run` method source (plus `ping@1`). */
export function attacker(run: string, prelude = ""): string {
  return `${prelude}\nglobalThis.plugin = { capabilities: { "attack@1": { kind: "action", ${run} }, ${PING} } };`;
}

let healthy: LoadedPlugin | undefined;
/** Another plugin, loaded once per file, that must keep working after every attack. */
export async function healthyPlugin(): Promise<LoadedPlugin> {
  healthy ??= await runtime.load({ name: "healthy", code: attacker("run() { return 1; }") });
  return healthy;
}

let counter = 0;
export function loadAttacker(run: string, prelude = "", on = runtime): Promise<LoadedPlugin> {
  counter++;
  return on.load({ name: `attacker-${counter}`, code: attacker(run, prelude) });
}

/** An attacker in the runtime whose only binding limit is memory (see `roomyRuntime`). */
export function loadMemoryBomb(run: string): Promise<LoadedPlugin> {
  return loadAttacker(run, "", roomyRuntime);
}

/**
 * Runs the attack, asserts it failed with exactly `code`, then that the attacked plugin recovers
 * (a fresh isolate if needed) and another plugin still works.
 */
export async function expectContained(
  plugin: LoadedPlugin,
  code: SandboxErrorCode,
  capabilities: HostCapabilities = {},
  input: Json = null,
  deadline = DEADLINE,
): Promise<Error & { code: string; message: string; details?: Record<string, unknown> }> {
  let caught: unknown;
  try {
    const value = await plugin.invoke("attack@1", input, capabilities, deadline);
    throw new Error(`attack was not contained; it returned ${JSON.stringify(value)}`);
  } catch (err) {
    caught = err;
  }
  expect(caught).toMatchObject({ code });
  await expectHealthy(plugin);
  return caught as Error & { code: string };
}

export async function expectHealthy(plugin: LoadedPlugin): Promise<void> {
  expect(await plugin.invoke("ping@1", "again", {}, DEADLINE)).toEqual({ pong: "again" });
  expect(await (await healthyPlugin()).invoke("ping@1", 7, {}, DEADLINE)).toEqual({ pong: 7 });
}
