import { describe, expect, it } from "vitest";
import { type Json, type MailMessage, SandboxErrorCode } from "../src/index.js";
import { DEADLINE, loadAttacker, runtime } from "./helpers.js";

describe("IsolatedVmRuntime", () => {
  it("returns the plugin's JSON and passes a copy of the input", async () => {
    const p = await loadAttacker(
      "run(input) { input.mutated = true; return { got: input, n: [1, 2.5, null, 'x'] }; }",
    );
    const input = { a: { b: [1, 2] } };
    expect(await p.invoke("attack@1", input, {}, DEADLINE)).toEqual({
      got: { a: { b: [1, 2] }, mutated: true },
      n: [1, 2.5, null, "x"],
    });
    expect(input).toEqual({ a: { b: [1, 2] } });
  });

  it("host capabilities receive copied plain data (kv, log, mail) and only granted ones are listed", async () => {
    const p = await loadAttacker(`async run(input, host) {
      const fields = { step: 1 };
      host.log("info", "starting", fields);
      fields.step = 2;
      await host.kv.set("count", { n: 1 });
      const v = await host.kv.get("count");
      const sent = await host.mail.send({ to: "a@example.com", subject: "s", text: "t", idempotencyKey: "run1:step1" });
      return { v, sent, granted: host.granted };
    }`);
    const store = new Map<string, Json>();
    const logs: unknown[] = [];
    const mails: MailMessage[] = [];
    const result = await p.invoke(
      "attack@1",
      null,
      {
        log: (level, message, fields) => void logs.push({ level, message, fields }),
        kv: {
          get: async (k) => store.get(k) ?? null,
          set: async (k, v) => void store.set(k, v),
          delete: async (k) => void store.delete(k),
        },
        mail: {
          send: async (m) => {
            mails.push(m);
            return { messageId: "m-1" };
          },
        },
      },
      DEADLINE,
    );
    expect(result).toEqual({
      v: { n: 1 },
      sent: { messageId: "m-1" },
      granted: ["mail.send", "kv.get", "kv.set", "kv.delete", "log"],
    });
    expect(logs).toEqual([{ level: "info", message: "starting", fields: { step: 1 } }]);
    expect(mails).toEqual([{ to: "a@example.com", subject: "s", text: "t", idempotencyKey: "run1:step1" }]);
    expect(store.get("count")).toEqual({ n: 1 });
  });

  it("hands the host only well-formed mail messages; a malformed one fails the plugin, the host sees nothing", async () => {
    const mails: MailMessage[] = [];
    const mail = {
      send: async (m: MailMessage) => {
        mails.push(m);
        return { messageId: "m" };
      },
    };
    for (const bad of [
      "{ to: 42, subject: 's', text: 't', idempotencyKey: 'k' }",
      "{ to: ['a@b'], subject: 's', text: 't' }",
      "{ to: ['a@b'], cc: 'c@d', subject: 's', text: 't', idempotencyKey: 'k' }",
      "{ to: ['a@b'], cc: ['c@d', 7], subject: 's', text: 't', idempotencyKey: 'k' }",
    ]) {
      const p = await loadAttacker(`async run(input, host) { await host.mail.send(${bad}); return 1; }`);
      await expect(p.invoke("attack@1", null, { mail }, DEADLINE)).rejects.toMatchObject({
        code: SandboxErrorCode.PluginError,
      });
    }
    const ok = await loadAttacker(
      "async run(input, host) { return host.mail.send({ to: ['a@b', 'c@d'], subject: 's', text: 't', idempotencyKey: 'k', extra: 1 }); }",
    );
    await ok.invoke("attack@1", null, { mail }, DEADLINE);
    const withCc = await loadAttacker(
      "async run(input, host) { return host.mail.send({ to: 'a@b', cc: ['c@d'], subject: 's', text: 't', idempotencyKey: 'k2' }); }",
    );
    await withCc.invoke("attack@1", null, { mail }, DEADLINE);
    expect(mails).toEqual([
      { to: ["a@b", "c@d"], subject: "s", text: "t", idempotencyKey: "k" },
      { to: "a@b", cc: ["c@d"], subject: "s", text: "t", idempotencyKey: "k2" },
    ]);
  });

  it("a capability's typed failure reaches the plugin as an Error with code and retryable", async () => {
    const p = await loadAttacker(`async run(input, host) {
      try { await host.secrets.get("x"); } catch (e) { return { code: e.code, retryable: e.retryable, isError: e instanceof Error }; }
    }`);
    const secrets = {
      get: async () => {
        throw Object.assign(new Error("vault down"), { code: "unavailable", retryable: true });
      },
    };
    expect(await p.invoke("attack@1", null, { secrets }, DEADLINE)).toEqual({
      code: "unavailable",
      retryable: true,
      isError: true,
    });
  });

  it("an uncaught capability failure fails plugin_error carrying hostCode and retryable", async () => {
    const p = await loadAttacker('async run(input, host) { return await host.secrets.get("x"); }');
    const secrets = {
      get: async () => {
        throw Object.assign(new Error("vault down"), { code: "unavailable", retryable: true });
      },
    };
    await expect(p.invoke("attack@1", null, { secrets }, DEADLINE)).rejects.toMatchObject({
      code: SandboxErrorCode.PluginError,
      retryable: true,
      details: { hostCode: "unavailable" },
    });
  });

  it("the isolate is reused warm: compiled once across invocations, recompiled only after disposal", async () => {
    const p = await loadAttacker(
      "run(input) { if (input === 'spin') { for (;;) {} } return (globalThis.calls = (globalThis.calls || 0) + 1); }",
    );
    for (let i = 0; i < 5; i++) expect(await p.invoke("attack@1", i, {}, DEADLINE)).toBe(1); // fresh context each time
    expect(p.stats()).toEqual({ compiles: 1, isolates: 1, invocations: 5 });
    await expect(p.invoke("attack@1", "spin", {}, DEADLINE)).rejects.toMatchObject({
      code: "sandbox_timeout",
    });
    expect(await p.invoke("attack@1", 0, {}, DEADLINE)).toBe(1);
    expect(p.stats()).toEqual({ compiles: 2, isolates: 2, invocations: 7 });
  });

  it("concurrent invocations of one plugin each get their own context", async () => {
    const p = await loadAttacker(
      "async run(input, host) { globalThis.mine = input; await host.kv.get('k'); return globalThis.mine; }",
    );
    const kv = { get: async () => null, set: async () => {}, delete: async () => {} };
    const results = await Promise.all([1, 2, 3, 4].map((i) => p.invoke("attack@1", i, { kv }, DEADLINE)));
    expect(results).toEqual([1, 2, 3, 4]);
  });

  it("a syntax error fails load with plugin_error; an unloaded plugin fails sandbox_crashed", async () => {
    await expect(runtime.load({ name: "broken", code: "globalThis.plugin = {" })).rejects.toMatchObject({
      code: SandboxErrorCode.PluginError,
    });
    const p = await loadAttacker("run() { return 1; }");
    p.dispose();
    await expect(p.invoke("attack@1", null, {}, DEADLINE)).rejects.toMatchObject({
      code: SandboxErrorCode.Crashed,
      retryable: false,
    });
  });
});
