import { describe, expect, it } from "vitest";
import { IsolatedVmRuntime, type LoadedPlugin, SandboxErrorCode } from "../src/index.js";
import { attacker, DEADLINE, expectHealthy, ROOMY_DEADLINE } from "./helpers.js";

// Contexts are prepared ahead and each is used by one invocation (ADR 038). These tests hold a pool of
// two spares, so an invocation always finds a context prepared while an earlier one was running.
const runtime = new IsolatedVmRuntime({ limits: { memoryMb: 16, cpuTimeoutMs: 150 }, warmContexts: 2 });
const roomy = new IsolatedVmRuntime({ limits: { memoryMb: 16, cpuTimeoutMs: 10_000 }, warmContexts: 2 });
const kv = { get: async () => null, set: async () => {}, delete: async () => {} };

let counter = 0;
function load(run: string, prelude = "", on = runtime): Promise<LoadedPlugin> {
  counter++;
  return on.load({ name: `pooled-${counter}`, code: attacker(run, prelude) });
}
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("pooled contexts", () => {
  it("are prepared ahead: the plugin's top level ran before the invocation started", async () => {
    const p = await load("run() { return globalThis.definedAt; }", "globalThis.definedAt = Date.now();");
    await p.invoke("attack@1", null, {}, DEADLINE);
    await pause(100); // the pool refills while nothing runs
    const started = Date.now();
    const definedAt = (await p.invoke("attack@1", null, {}, DEADLINE)) as number;
    expect(started - definedAt).toBeGreaterThanOrEqual(50);
    expect(p.stats()).toEqual({ compiles: 1, isolates: 1, invocations: 2 });
  });

  it("nothing one invocation leaves behind (globals, prototypes, intrinsics, closures) reaches the next", async () => {
    const p = await load(
      `async run(input, host) {
        const seen = {
          global: typeof globalThis.leak,
          proto: ({}).polluted === undefined && [].polluted === undefined ? "clean" : "dirty",
          stringify: JSON.stringify({ a: 1 }),
          closure: closureState.count,
          tops: globalThis.tops,
          hostGranted: host.granted,
        };
        if (input === "pollute") {
          globalThis.leak = { secret: "s3cr3t" };
          Object.prototype.polluted = true;
          Array.prototype.polluted = true;
          JSON.stringify = () => "forged";
          closureState.count += 100;
          globalThis.plugin.capabilities["attack@1"].run = () => "replaced";
          await host.kv.get("k"); // a spare is prepared while this invocation's state is live
        }
        return seen;
      }`,
      "const closureState = { count: 0 }; globalThis.tops = (globalThis.tops || 0) + 1;",
    );
    const clean = {
      global: "undefined",
      proto: "clean",
      stringify: '{"a":1}',
      closure: 0,
      tops: 1,
      hostGranted: ["kv.get", "kv.set", "kv.delete"],
    };
    expect(await p.invoke("attack@1", "pollute", { kv }, DEADLINE)).toEqual(clean);
    await Promise.all([
      p.invoke("attack@1", "pollute", { kv }, DEADLINE),
      p.invoke("attack@1", "pollute", { kv }, DEADLINE),
    ]);
    for (let i = 0; i < 5; i++) {
      expect(await p.invoke("attack@1", "check", {}, DEADLINE)).toEqual({ ...clean, hostGranted: [] });
    }
  });

  it("each invocation sees only its own grants, though its context was prepared before they were known", async () => {
    const p = await load("async run(input, host) { await host.kv.get('k'); return host.granted; }");
    expect(await p.invoke("attack@1", null, { kv }, DEADLINE)).toEqual(["kv.get", "kv.set", "kv.delete"]);
    const denied = p.invoke("attack@1", null, {}, DEADLINE);
    await expect(denied).rejects.toMatchObject({ code: SandboxErrorCode.CapabilityDenied });
    await expectHealthy(p);
  });

  const LIMITS = [
    {
      limit: "the wall-clock deadline (a never-settling invocation)",
      run: "run(input) { return input === 'attack' ? new Promise(() => {}) : 'ok'; }",
      code: SandboxErrorCode.Timeout,
      on: runtime,
      deadline: { deadlineMs: 200 },
    },
    {
      limit: "the CPU timeout",
      run: "run(input) { if (input === 'attack') for (;;) {} return 'ok'; }",
      code: SandboxErrorCode.Timeout,
      on: runtime,
      deadline: DEADLINE,
    },
    {
      limit: "the memory limit",
      run: "run(input) { if (input !== 'attack') return 'ok'; const a = []; for (;;) a.push(new Array(1e5).fill(1.5)); }",
      code: SandboxErrorCode.Memory,
      on: roomy,
      deadline: ROOMY_DEADLINE,
    },
  ];
  for (const { limit, run, code, on, deadline } of LIMITS) {
    it(`${limit} still holds in a prepared context; the plugin recovers in a fresh isolate`, async () => {
      const p = await load(run, "", on);
      await p.invoke("attack@1", null, {}, deadline);
      await pause(50); // the attack runs in a context prepared ahead
      await expect(p.invoke("attack@1", "attack", {}, deadline)).rejects.toMatchObject({ code });
      expect(await p.invoke("attack@1", null, {}, deadline)).toBe("ok");
      expect(p.stats()).toMatchObject({ isolates: 2, compiles: 2, invocations: 3 });
    });
  }

  it("a top level that throws fails each invocation plugin_error, prepared or not", async () => {
    const p = await load("run() { return 1; }", 'throw new Error("broken top level");');
    for (let i = 0; i < 3; i++) {
      await expect(p.invoke("attack@1", null, {}, DEADLINE)).rejects.toMatchObject({
        code: SandboxErrorCode.PluginError,
        message: expect.stringMatching(/broken top level/),
      });
    }
  });

  it("a disposed plugin's spares are discarded; invocations fail sandbox_crashed", async () => {
    const p = await load("run() { return 1; }");
    await p.invoke("attack@1", null, {}, DEADLINE);
    p.dispose();
    await expect(p.invoke("attack@1", null, {}, DEADLINE)).rejects.toMatchObject({
      code: SandboxErrorCode.Crashed,
      retryable: false,
    });
  });
});
