import { describe, expect, it } from "vitest";
import { SandboxErrorCode } from "../src/index.js";
import { expectContained, loadAttacker, loadMemoryBomb, ROOMY_DEADLINE, runtime } from "./helpers.js";

describe("sandbox attacks: CPU, wall clock, memory and output limits", () => {
  it("sync infinite loop → sandbox_timeout", async () => {
    const p = await loadAttacker("run() { while (true) {} }");
    await expectContained(p, SandboxErrorCode.Timeout);
  });

  it("async infinite loop (for(;;) await) → sandbox_timeout", async () => {
    const p = await loadAttacker("async run() { for (;;) await Promise.resolve(); }");
    await expectContained(p, SandboxErrorCode.Timeout);
  });

  it("never-resolving promise → sandbox_timeout by the wall-clock deadline", async () => {
    const p = await loadAttacker("run() { return new Promise(() => {}); }");
    const err = await expectContained(p, SandboxErrorCode.Timeout, {}, null, { deadlineMs: 100 });
    expect(err.message).toMatch(/deadline/);
  });

  it("awaiting a host call that never settles → sandbox_timeout (deadline covers awaited host promises)", async () => {
    const p = await loadAttacker('async run(input, host) { return await host.kv.get("k"); }');
    const hang = () => new Promise<never>(() => {});
    await expectContained(p, SandboxErrorCode.Timeout, { kv: { get: hang, set: hang, delete: hang } }, null, {
      deadlineMs: 100,
    });
  });

  it("timer-less busy microtask chain → sandbox_timeout", async () => {
    // each link drops its promise (no chain of resolved-with promises growing toward the memory limit,
    // which raced the CPU timeout under load): only the CPU timeout can stop it
    const p = await loadAttacker(
      "run() { const f = () => { Promise.resolve().then(f); }; f(); return new Promise(() => {}); }",
    );
    await expectContained(p, SandboxErrorCode.Timeout);
  });

  it("infinite loop in the plugin file's top level → sandbox_timeout", async () => {
    const p = await loadAttacker("run() { return 1; }", "if (globalThis.Array) { for (;;) {} }");
    let caught: unknown;
    await p.invoke("ping@1", 1, {}, { deadlineMs: 400 }).catch((e: unknown) => {
      caught = e;
    });
    expect(caught).toMatchObject({ code: SandboxErrorCode.Timeout });
    // every invocation re-runs the top level, so this plugin stays broken, but others do not
    const other = await loadAttacker("run() { return 1; }");
    expect(await other.invoke("attack@1", null, {}, { deadlineMs: 400 })).toBe(1);
  });

  it("memory bomb: array growth → sandbox_memory", async () => {
    const p = await loadMemoryBomb("run() { const a = []; for (;;) a.push(new Array(1e5).fill(1.5)); }");
    await expectContained(p, SandboxErrorCode.Memory, {}, null, ROOMY_DEADLINE);
  });

  it("memory bomb: string doubling (flattened) → sandbox_memory", async () => {
    const p = await loadMemoryBomb(
      'run() { let s = "x".repeat(1024); const keep = []; for (;;) { s = s + s; keep.push(s.slice(1)); } }',
    );
    await expectContained(p, SandboxErrorCode.Memory, {}, null, ROOMY_DEADLINE);
  });

  it("ArrayBuffer allocation bomb → plugin_error (allocation refused inside the isolate)", async () => {
    const p = await loadAttacker("run() { const k = []; for (;;) k.push(new ArrayBuffer(1 << 20)); }");
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err.message).toMatch(/Array buffer allocation failed/);
  });

  it("huge return value → sandbox_output_too_large", async () => {
    const p = await loadAttacker('run() { return "x".repeat(2 * 1024 * 1024); }');
    await expectContained(p, SandboxErrorCode.OutputTooLarge);
  });

  it("huge log payload → sandbox_output_too_large, even when the plugin catches", async () => {
    const p = await loadAttacker(
      'run(input, host) { try { host.log("info", "x".repeat(100000), {}); } catch (e) {} return "ignored"; }',
    );
    const lines: string[] = [];
    await expectContained(p, SandboxErrorCode.OutputTooLarge, { log: (_l, m) => void lines.push(m) });
    expect(lines).toEqual([]);
  });

  it("huge emit payload → sandbox_output_too_large", async () => {
    const p = await loadAttacker('run(input, host) { host.emit({ blob: "x".repeat(200000) }); return 1; }');
    const events: unknown[] = [];
    await expectContained(p, SandboxErrorCode.OutputTooLarge, { emit: (e) => void events.push(e) });
    expect(events).toEqual([]);
  });

  it("emit flood over the per-invocation limit → sandbox_output_too_large; only the limit got through", async () => {
    const p = await loadAttacker(
      "run(input, host) { for (let i = 0; i < 10000; i++) { try { host.emit({ i }); } catch (e) {} } return 1; }",
    );
    const events: unknown[] = [];
    const err = await expectContained(p, SandboxErrorCode.OutputTooLarge, {
      emit: (e) => void events.push(e),
    });
    expect(err.message).toMatch(/emit limit/);
    expect(events).toHaveLength(100);
  });

  it("SharedArrayBuffer / Atomics.wait blocking → plugin_error (both removed from the isolate)", async () => {
    const p = await loadAttacker(
      'run() { const sab = new SharedArrayBuffer(16); Atomics.wait(new Int32Array(sab), 0, 0); return "woke"; }',
    );
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err.message).toMatch(/SharedArrayBuffer is not defined/);
  });

  it("Atomics reached without SharedArrayBuffer → plugin_error", async () => {
    const p = await loadAttacker("run() { return Atomics.wait(new Int32Array(4), 0, 0); }");
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err.message).toMatch(/Atomics is not defined/);
  });

  it("WebAssembly memory growth (not covered by the heap limit) → plugin_error (WebAssembly removed)", async () => {
    const p = await loadAttacker(
      "run() { const m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); for (;;) m.grow(1); }",
    );
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err.message).toMatch(/WebAssembly is not defined/);
  });

  it("oversize input is refused before entering the isolate", async () => {
    const small = await runtime.load({
      name: "small-output",
      code: 'globalThis.plugin = { capabilities: { "ping@1": { kind: "action", run: (i) => i } } };',
      limits: { maxOutputChars: 100 },
    });
    await expect(small.invoke("ping@1", "x".repeat(200), {}, { deadlineMs: 400 })).rejects.toMatchObject({
      code: SandboxErrorCode.OutputTooLarge,
    });
    expect(await small.invoke("ping@1", "ok", {}, { deadlineMs: 400 })).toBe("ok");
  });
});
