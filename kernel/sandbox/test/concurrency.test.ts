import { describe, expect, it } from "vitest";
import { IsolatedVmRuntime, SandboxErrorCode } from "../src/index.js";
import { attacker, ROOMY_DEADLINE } from "./helpers.js";

/** Awaits one host call (`kv.get`), so an invocation holds its context until the host answers. */
const WAITER = 'async run(input, host) { await host.kv.get("k"); return input; }';

describe("sandbox: invocations of one plugin share its isolate (ADR 076)", () => {
  it("runs at most `maxConcurrentInvocations` at once; the others wait their turn and all succeed", async () => {
    const runtime = new IsolatedVmRuntime({ maxConcurrentInvocations: 3 });
    const plugin = await runtime.load({ name: "waiter", code: attacker(WAITER) });
    let now = 0;
    let most = 0;
    const kv = {
      get: async () => {
        most = Math.max(most, ++now);
        await new Promise((r) => setTimeout(r, 20));
        now--;
        return null;
      },
      set: async () => {},
      delete: async () => {},
    };
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => plugin.invoke("attack@1", i, { kv }, ROOMY_DEADLINE)),
    );
    expect(results).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(most).toBe(3);
  });

  it("a waiting invocation whose deadline passes fails sandbox_timeout and gives its turn up", async () => {
    const runtime = new IsolatedVmRuntime({ maxConcurrentInvocations: 1 });
    const plugin = await runtime.load({ name: "waiter", code: attacker(WAITER) });
    let release!: () => void;
    const blocked = new Promise<null>((resolve) => {
      release = () => resolve(null);
    });
    const slow = { get: () => blocked, set: async () => {}, delete: async () => {} };
    const first = plugin.invoke("attack@1", "first", { kv: slow }, ROOMY_DEADLINE);
    await expect(plugin.invoke("ping@1", "late", {}, { deadlineMs: 100 })).rejects.toMatchObject({
      code: SandboxErrorCode.Timeout,
    });
    release();
    expect(await first).toBe("first");
    expect(await plugin.invoke("ping@1", "next", {}, ROOMY_DEADLINE)).toEqual({ pong: "next" });
  });

  it("a memory overrun while others share the isolate may be retried; alone it is final", async () => {
    const runtime = new IsolatedVmRuntime({ limits: { memoryMb: 16, cpuTimeoutMs: 10_000 } });
    const bomb =
      'async run(input, host) { if (input === "wait") { await host.kv.get("k"); return 1; } const a = []; for (;;) a.push(new Array(1e5).fill(1.5)); }';
    const plugin = await runtime.load({ name: "bomb", code: attacker(bomb) });
    const never = { get: () => new Promise<null>(() => {}), set: async () => {}, delete: async () => {} };
    const waiting = plugin.invoke("attack@1", "wait", { kv: never }, ROOMY_DEADLINE);
    waiting.catch(() => {});
    await new Promise((r) => setTimeout(r, 50)); // the waiting invocation holds its context
    await expect(plugin.invoke("attack@1", "bomb", {}, ROOMY_DEADLINE)).rejects.toMatchObject({
      code: SandboxErrorCode.Memory,
      retryable: true,
      details: { sharedWith: 1 },
    });
    await expect(waiting).rejects.toMatchObject({ code: SandboxErrorCode.Crashed, retryable: true });
    await expect(plugin.invoke("attack@1", "bomb", {}, ROOMY_DEADLINE)).rejects.toMatchObject({
      code: SandboxErrorCode.Memory,
      retryable: false,
    });
  });

  it("an invocation awaiting a host call fails at once when its plugin is unloaded, for good", async () => {
    const runtime = new IsolatedVmRuntime();
    const plugin = await runtime.load({ name: "waiter", code: attacker(WAITER) });
    const never = { get: () => new Promise<null>(() => {}), set: async () => {}, delete: async () => {} };
    const waiting = plugin.invoke("attack@1", "wait", { kv: never }, ROOMY_DEADLINE);
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    plugin.dispose();
    await expect(waiting).rejects.toMatchObject({ code: SandboxErrorCode.Crashed, retryable: false });
    expect(performance.now() - started).toBeLessThan(ROOMY_DEADLINE.deadlineMs / 2);
  });
});
