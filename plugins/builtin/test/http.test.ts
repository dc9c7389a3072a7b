import { createHmac } from "node:crypto";
import { createTestHost } from "@latchflow/plugin-sdk/node";
import type { FetchInit, FetchResponse } from "@latchflow/sandbox";
import { beforeAll, describe, expect, it } from "vitest";
import { actionIn, buildBuiltin, run } from "./helpers.js";

let code: string;
beforeAll(async () => {
  code = await buildBuiltin("http");
});

const NOW = "2030-01-02T00:00:00.000Z";
const NOW_S = String(Date.parse(NOW) / 1000);

function fetchingHost(response: FetchResponse, secrets: Record<string, string> = {}) {
  const calls: { url: string; init: FetchInit }[] = [];
  const record = createTestHost({
    secrets,
    overrides: {
      fetch: async (url, init) => {
        calls.push({ url, init });
        return response;
      },
    },
  });
  return { record, calls };
}

const ok: FetchResponse = {
  status: 200,
  headers: { "content-type": "application/json; charset=utf-8" },
  body: '{"ok":true}',
};

describe("http@1", () => {
  it("sends the rendered JSON body, signed like webhook@1 expects, with the idempotency key", async () => {
    const { record, calls } = fetchingHost(ok, { "partner-key": "p4rtner" });
    const input = actionIn(
      {
        url: "https://hooks.example.com/latchflow",
        method: "PUT",
        headers: { "X-Source": "latchflow" },
        body: { event: "released", deadline: "{{ trigger.payload.deadline }}", n: [1, "{{ run.id }}"] },
        signWithSecret: "partner-key",
      },
      { now: NOW },
    );
    expect(await run(code, "http@1", input, record.host)).toEqual({ status: 200, body: { ok: true } });
    expect(calls).toHaveLength(1);
    const { url, init } = calls[0]!;
    const body = '{"event":"released","deadline":"2030-01-01T00:00:00.000Z","n":[1,"run-1"]}';
    expect(url).toBe("https://hooks.example.com/latchflow");
    expect(init).toEqual({
      method: "PUT",
      body,
      headers: {
        "x-source": "latchflow",
        "content-type": "application/json",
        "idempotency-key": "run-1:step-1",
        "x-latchflow-timestamp": NOW_S,
        "x-latchflow-signature": `sha256=${createHmac("sha256", "p4rtner").update(`${NOW_S}.${body}`).digest("hex")}`,
      },
    });
  });

  it("defaults to POST without a body or signature; returns a text body as text", async () => {
    const { record, calls } = fetchingHost({
      status: 204,
      headers: { "content-type": "text/plain" },
      body: "",
    });
    expect(await run(code, "http@1", actionIn({ url: "https://a.example.com/x" }), record.host)).toEqual({
      status: 204,
      body: "",
    });
    expect(calls[0]?.init).toEqual({ method: "POST", headers: { "idempotency-key": "run-1:step-1" } });
  });

  it("passes its timeout to the host's fetch", async () => {
    const { record, calls } = fetchingHost({ status: 200, headers: {}, body: "" });
    await run(code, "http@1", actionIn({ url: "https://a.example.com/x", timeout: "5s" }), record.host);
    expect(calls[0]?.init).toMatchObject({ timeoutMs: 5_000 });
  });

  it("fails on non-2xx with code http_status, retryable for 5xx and 429", async () => {
    for (const [status, kind] of [
      [503, "retryable"],
      [429, "retryable"],
      [404, "permanent"],
      [302, "permanent"],
    ] as const) {
      const { record } = fetchingHost({ status, headers: {}, body: "nope" });
      await expect(
        run(code, "http@1", actionIn({ url: "https://a.example.com/x" }), record.host),
      ).rejects.toMatchObject({
        code: "plugin_error",
        message: `Error: http_status ${status} from a.example.com (${kind})`,
        retryable: kind === "retryable",
        details: { pluginCode: "http_status" },
      });
    }
  });

  it("fails when the signing secret is missing or a reserved header is configured, before calling", async () => {
    const missing = fetchingHost(ok);
    await expect(
      run(
        code,
        "http@1",
        actionIn({ url: "https://a.example.com/x", signWithSecret: "nope" }),
        missing.record.host,
      ),
    ).rejects.toMatchObject({ message: expect.stringContaining("secret nope is not set") });
    const reserved = fetchingHost(ok);
    await expect(
      run(
        code,
        "http@1",
        actionIn({ url: "https://a.example.com/x", headers: { "X-Latchflow-Signature": "x" } }),
        reserved.record.host,
      ),
    ).rejects.toMatchObject({ message: expect.stringContaining("may not be set") });
    expect([...missing.calls, ...reserved.calls]).toEqual([]);
  });
});
