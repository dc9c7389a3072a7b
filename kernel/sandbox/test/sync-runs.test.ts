import { describe, expect, it } from "vitest";
import { IsolatedVmRuntime, type LoadedPlugin, SandboxErrorCode } from "../src/index.js";
import { attacker, expectContained, loadAttacker, loadMemoryBomb, ROOMY_DEADLINE } from "./helpers.js";

// ADR 048: an invocation's code runs synchronously on the caller's thread, one run at a time (the start of
// `run`, then each continuation after a host call settles). Every run is bounded by the CPU timeout, cut to
// what is left of the deadline; while it lasts the caller's event loop waits.

const CPU_MS = 150;
/** Scheduler slack on a loaded 2-core machine: a bound is "limit + SLACK", never unbounded. */
const SLACK_MS = 600;
const kv = { get: async () => "v", set: async () => {}, delete: async () => {} };

let counter = 0;
function load(run: string, on: IsolatedVmRuntime, prelude = ""): Promise<LoadedPlugin> {
  counter++;
  return on.load({ name: `sync-${counter}`, code: attacker(run, prelude) });
}

async function timed<T>(work: Promise<T>): Promise<{ ms: number; error: unknown; value: T | undefined }> {
  const started = performance.now();
  try {
    const value = await work;
    return { ms: performance.now() - started, error: undefined, value };
  } catch (error) {
    return { ms: performance.now() - started, error, value: undefined };
  }
}

describe("runs on the caller's thread", () => {
  const runtime = new IsolatedVmRuntime({ limits: { memoryMb: 16, cpuTimeoutMs: CPU_MS } });

  it("a CPU-bound run is stopped at the CPU timeout with the documented error", async () => {
    const p = await load("run() { for (;;) {} }", runtime);
    const { ms, error } = await timed(p.invoke("attack@1", null, {}, { deadlineMs: 5_000 }));
    expect(error).toMatchObject({
      code: SandboxErrorCode.Timeout,
      retryable: true,
      message: `CPU timeout of ${CPU_MS} ms exceeded`,
    });
    expect(ms).toBeGreaterThanOrEqual(CPU_MS - 5);
    expect(ms).toBeLessThan(CPU_MS + SLACK_MS);
  });

  it("a CPU-bound continuation after an awaited host call is stopped at the CPU timeout", async () => {
    const p = await loadAttacker('async run(input, host) { await host.kv.get("k"); for (;;) {} }');
    const err = await expectContained(p, SandboxErrorCode.Timeout, { kv }, null, { deadlineMs: 5_000 });
    expect(err.message).toMatch(/CPU timeout/);
  });

  it("a run is cut at the deadline when less of it is left than the CPU timeout (no timer can fire mid-run)", async () => {
    const roomy = new IsolatedVmRuntime({ limits: { memoryMb: 16, cpuTimeoutMs: 10_000 } });
    const p = await load('async run(input, host) { await host.kv.get("k"); for (;;) {} }', roomy);
    const { ms, error } = await timed(p.invoke("attack@1", null, { kv }, { deadlineMs: 150 }));
    expect(error).toMatchObject({ code: SandboxErrorCode.Timeout, message: "deadline of 150 ms exceeded" });
    expect(ms).toBeLessThan(150 + SLACK_MS);
    expect(await p.invoke("ping@1", 1, {}, { deadlineMs: 2_000 })).toEqual({ pong: 1 });
  });

  it("a concurrent invocation of another plugin waits at most one run of the CPU-bound one", async () => {
    const spinner = await load("run() { for (;;) {} }", runtime);
    const other = await load("run() { return 1; }", runtime);
    const spin = timed(spinner.invoke("attack@1", null, {}, { deadlineMs: 5_000 }));
    const quick = timed(other.invoke("ping@1", "b", {}, { deadlineMs: 5_000 }));
    const [s, q] = await Promise.all([spin, quick]);
    expect(s.error).toMatchObject({ code: SandboxErrorCode.Timeout });
    expect(q.error).toBeUndefined();
    expect(q.value).toEqual({ pong: "b" });
    expect(q.ms).toBeLessThan(CPU_MS + SLACK_MS);
  });

  it("a plugin that keeps coming back for CPU (host call, spin, host call, …) is stopped by its deadline; others still run between its runs", async () => {
    // a CPU timeout far above its runs (a run's timeout counts wall-clock time: a loaded machine stretches
    // a 40 ms spin), so only the deadline stops it
    const patient = new IsolatedVmRuntime({ limits: { memoryMb: 16, cpuTimeoutMs: 5_000 } });
    const hog = await load(
      'async run(input, host) { for (;;) { await host.kv.get("k"); const until = Date.now() + 40; while (Date.now() < until) {} } }',
      patient,
    );
    const other = await load("run(input) { return input; }", runtime);
    const hogging = timed(hog.invoke("attack@1", null, { kv }, { deadlineMs: 1_000 }));
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await timed(other.invoke("ping@1", i, {}, { deadlineMs: 5_000 }));
      expect(r.value).toEqual({ pong: i });
      latencies.push(r.ms);
    }
    const h = await hogging;
    expect(h.error).toMatchObject({
      code: SandboxErrorCode.Timeout,
      message: "deadline of 1000 ms exceeded",
    });
    expect(h.ms).toBeLessThan(1_000 + SLACK_MS);
    for (const ms of latencies) expect(ms).toBeLessThan(CPU_MS + SLACK_MS);
  });

  it("the memory limit still holds in a continuation after an awaited host call", async () => {
    const p = await loadMemoryBomb(
      'async run(input, host) { await host.kv.get("k"); const a = []; for (;;) a.push(new Array(1e5).fill(1.5)); }',
    );
    await expectContained(p, SandboxErrorCode.Memory, { kv }, null, ROOMY_DEADLINE);
  });

  it("a plugin that replaced Promise.prototype.then and its constructor still reports its result once", async () => {
    const p = await load(
      "run(input) { return { got: input }; }",
      runtime,
      "Promise.prototype.then = function () { return this; }; Promise.prototype.constructor = function () {};",
    );
    expect(await p.invoke("attack@1", 5, {}, { deadlineMs: 2_000 })).toEqual({ got: 5 });
    expect(await p.invoke("attack@1", 6, {}, { deadlineMs: 2_000 })).toEqual({ got: 6 });
  });

  it("a denied host call inside a run (the plugin catching in a loop) fails the invocation and stops the run", async () => {
    const p = await loadAttacker("run(input, host) { for (;;) { try { host.kv.get('k'); } catch (e) {} } }");
    const { ms, error } = await timed(p.invoke("attack@1", null, {}, { deadlineMs: 5_000 }));
    expect(error).toMatchObject({ code: SandboxErrorCode.CapabilityDenied });
    expect(ms).toBeLessThan(CPU_MS + SLACK_MS);
    expect(await p.invoke("ping@1", 1, {}, { deadlineMs: 2_000 })).toEqual({ pong: 1 });
  });
});
