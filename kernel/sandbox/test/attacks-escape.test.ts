import { describe, expect, it } from "vitest";
import { type HostCapabilities, SandboxErrorCode } from "../src/index.js";
import { DEADLINE, expectContained, expectHealthy, loadAttacker, runtime } from "./helpers.js";

/** Every host function granted, so walks start from real injected functions. */
const allCaps: HostCapabilities = {
  fetch: async () => ({ status: 200, headers: {}, body: "" }),
  mail: { send: async () => ({ messageId: "m1" }) },
  bundles: { grant: async () => null },
  links: { publish: async () => null },
  kv: { get: async () => null, set: async () => {}, delete: async () => {} },
  secrets: { get: async () => null },
  log: () => {},
  emit: () => {},
};

describe("sandbox attacks: escapes and leaks", () => {
  it('this.constructor.constructor("return process")() → plugin_error', async () => {
    const p = await loadAttacker(
      'run() { const proc = this.constructor.constructor("return process")(); return proc.pid; }',
    );
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err.message).toBe("ReferenceError: process is not defined");
  });

  it('Function("return this")().process → plugin_error (no process on the global)', async () => {
    const p = await loadAttacker('run() { return Function("return this")().process.env; }');
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err.message).toMatch(/^TypeError: Cannot read properties of undefined \(reading 'env'\)/);
  });

  it("globalThis.require → plugin_error", async () => {
    const p = await loadAttacker(
      'run() { return globalThis.require("child_process").execSync("id").toString(); }',
    );
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err.message).toMatch(/globalThis.require is not a function/);
  });

  it("import() dynamic import → plugin_error", async () => {
    const p = await loadAttacker(
      'async run() { const fs = await import("node:fs"); return fs.readFileSync("/etc/passwd", "utf8"); }',
    );
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err.message).toMatch(/Not supported/);
  });

  it("eval-based escapes (direct and indirect eval) → plugin_error", async () => {
    const p = await loadAttacker(
      'run() { const g = (0, eval)("this"); return [eval("typeof process"), g.process.mainModule]; }',
    );
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err.message).toMatch(/Cannot read properties of undefined \(reading 'mainModule'\)/);
  });

  it("constructor of an injected host function → plugin_error (it is the isolate's own Function)", async () => {
    const p = await loadAttacker(
      'run(input, host) { return host.kv.get.constructor("return process")().version; }',
    );
    const err = await expectContained(p, SandboxErrorCode.PluginError, allCaps);
    expect(err.message).toBe("ReferenceError: process is not defined");
  });

  it("Object.getPrototypeOf walks from host-provided functions reach nothing usable", async () => {
    const walk = `run(input, host) {
      const banned = ["process", "require", "Buffer", "Reference", "ExternalCopy", "Callback", "Isolate", "module", "ivm", "_ivm"];
      const seen = new Set(); const found = []; const queue = [host, globalThis];
      const add = (v) => { if ((typeof v === "object" || typeof v === "function") && v !== null && !seen.has(v)) { seen.add(v); queue.push(v); } };
      while (queue.length) {
        const v = queue.shift();
        add(Object.getPrototypeOf(v));
        for (const key of Reflect.ownKeys(v)) {
          if (banned.includes(String(key))) found.push(String(key));
          let d; try { d = Object.getOwnPropertyDescriptor(v, key); } catch (e) { continue; }
          if (d && "value" in d) add(d.value); else if (d) { add(d.get); add(d.set); }
        }
        if (typeof v === "function") { try { add(v.constructor); } catch (e) {} }
      }
      throw new Error("found:" + JSON.stringify(found) + " walked:" + (seen.size > 100));
    }`;
    const p = await loadAttacker(walk);
    const err = await expectContained(p, SandboxErrorCode.PluginError, allCaps);
    expect(err.message).toBe("Error: found:[] walked:true");
  });

  it("arguments.callee.caller from a sloppy run() → plugin_error (caller is hidden)", async () => {
    const p = await loadAttacker(
      'run: function () { const c = arguments.callee.caller; return c.constructor("return process")(); }',
    );
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err.message).toMatch(/^TypeError: Cannot read properties of null/);
  });

  it("Error.prepareStackTrace override sees only isolate frames → plugin_error", async () => {
    const p = await loadAttacker(`async run(input, host) {
      let frames = [];
      Error.prepareStackTrace = (e, callSites) => { frames = callSites.map((s) => String(s.getFileName())); return "x"; };
      try { await host.kv.get(null); } catch (e) { void e.stack; }
      void new Error("probe").stack;
      const outside = frames.filter((f) => !/^(plugin:|latchflow:)/.test(f));
      throw new Error("frames:" + frames.length + " outside:" + JSON.stringify(outside));
    }`);
    const err = await expectContained(p, SandboxErrorCode.PluginError, allCaps);
    expect(err.message).toMatch(/^Error: frames:[1-9]\d* outside:\[\]$/);
  });

  it("prototype pollution in one invocation is not visible in the next (fresh context)", async () => {
    const p = await loadAttacker(`run(input) {
      if (input === "pollute") { Object.prototype.toJSON = function () { throw new Error("polluted"); }; Array.prototype.polluted = true; return { ok: 1 }; }
      return { toJSON: typeof ({}).toJSON, polluted: [].polluted === undefined ? "clean" : "dirty" };
    }`);
    const err = await expectContained(p, SandboxErrorCode.PluginError, {}, "pollute");
    expect(err.message).toMatch(/polluted/);
    expect(await p.invoke("attack@1", "check", {}, DEADLINE)).toEqual({
      toJSON: "undefined",
      polluted: "clean",
    });
  });

  it("overriding JSON and Promise intrinsics cannot forge the result envelope", async () => {
    const p = await loadAttacker(
      "run() { return { real: true }; }",
      'JSON.stringify = () => "v{\\"forged\\":true}"; JSON.parse = () => ({ forged: true }); Reflect.apply = () => ({ forged: true });',
    );
    expect(await p.invoke("attack@1", { x: 1 }, {}, DEADLINE)).toEqual({ real: true });
    await expectHealthy(p);
  });

  it("state does not leak between two plugins (nor between invocations) → plugin_error", async () => {
    const a = await loadAttacker(
      "run(input) { globalThis.secret = { value: input }; return typeof globalThis.secret; }",
    );
    const b = await loadAttacker("run() { return globalThis.secret.value; }");
    expect(await a.invoke("attack@1", "s3cr3t", {}, DEADLINE)).toBe("object");
    const err = await expectContained(b, SandboxErrorCode.PluginError);
    expect(err.message).toMatch(/Cannot read properties of undefined \(reading 'value'\)/);
    await expectContained(a, SandboxErrorCode.PluginError, {}, null).catch(() => {});
    const again = await loadAttacker("run() { return typeof globalThis.secret; }");
    expect(await again.invoke("attack@1", null, {}, DEADLINE)).toBe("undefined");
  });

  it("throwing a non-Error value (throw 42) → plugin_error", async () => {
    const p = await loadAttacker("run() { throw 42; }");
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err.message).toBe("42");
  });

  it("rejecting with a circular object → plugin_error", async () => {
    const p = await loadAttacker("run() { const o = { a: 1 }; o.self = o; return Promise.reject(o); }");
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err.message).toBe("non-serializable value");
  });

  it("throwing an object with a forged sandbox code → plugin_error (codes from inside are not trusted)", async () => {
    const p = await loadAttacker(
      'run() { throw { code: "sandbox_timeout", retryable: true, message: "fake" }; }',
    );
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err).toMatchObject({ retryable: false });
  });

  it("throwing an Error whose getters throw → plugin_error", async () => {
    const p = await loadAttacker(
      'run() { const e = new Error("x"); Object.defineProperty(e, "message", { get() { throw new Error("gotcha"); } }); throw e; }',
    );
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err.message).toBe("plugin threw an unreadable value");
  });

  it("returning a Proxy with throwing traps → plugin_error", async () => {
    const p = await loadAttacker(
      'run() { return new Proxy({}, { ownKeys() { throw new Error("trap"); } }); }',
    );
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err.message).toMatch(/return value is not JSON: Error: trap/);
  });

  it("returning a BigInt (not JSON) → plugin_error", async () => {
    const p = await loadAttacker("run() { return 10n; }");
    const err = await expectContained(p, SandboxErrorCode.PluginError);
    expect(err.message).toMatch(/return value is not JSON/);
  });

  it("calling a denied capability → capability_denied, even if the plugin catches", async () => {
    const p = await loadAttacker(
      'async run(input, host) { try { await host.secrets.get("db"); } catch (e) { return { caught: e.code }; } }',
    );
    await expectContained(p, SandboxErrorCode.CapabilityDenied, { kv: allCaps.kv });
  });

  it("calling a denied sync capability (log) → capability_denied", async () => {
    const p = await loadAttacker('run(input, host) { host.log("info", "hello", {}); return 1; }');
    await expectContained(p, SandboxErrorCode.CapabilityDenied);
  });

  it("the host object is frozen: replacing host functions has no effect → plugin_error", async () => {
    const p = await loadAttacker('run(input, host) { "use strict"; host.kv.get = () => "mine"; return 1; }');
    const err = await expectContained(p, SandboxErrorCode.PluginError, allCaps);
    expect(err.message).toMatch(/^TypeError: Cannot assign to read only property 'get'/);
  });

  it("a plugin that never defines itself → plugin_error", async () => {
    const p = await runtime.load({ name: "empty", code: "globalThis.plugin = undefined;" });
    await expect(p.invoke("attack@1", null, {}, DEADLINE)).rejects.toMatchObject({
      code: SandboxErrorCode.PluginError,
      message: "plugin does not define capability attack@1",
    });
  });
});
