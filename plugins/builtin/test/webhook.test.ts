import { createHmac } from "node:crypto";
import type { IngressRequest } from "@latchflow/plugin-sdk";
import { createTestHost } from "@latchflow/plugin-sdk/node";
import { beforeAll, describe, expect, it } from "vitest";
import { buildBuiltin, run, triggerIn } from "./helpers.js";

let code: string;
beforeAll(async () => {
  code = await buildBuiltin("webhook");
});

const CAP = "webhook@1";
const SECRET = "s3cret-key";
const NOW = "2030-01-01T00:00:00.000Z";
const NOW_S = Date.parse(NOW) / 1000;
const CONFIG = { secretName: "hook-key", maxBodyBytes: 1_024, toleranceSeconds: 300 };

function signed(body: string, ts = NOW_S, headers: Record<string, string> = {}): IngressRequest {
  const signature = createHmac("sha256", SECRET).update(`${ts}.${body}`).digest("hex");
  return {
    headers: {
      "content-type": "application/json",
      "x-latchflow-timestamp": String(ts),
      "x-latchflow-signature": `sha256=${signature}`,
      "user-agent": "curl/8",
      ...headers,
    },
    body,
    bodyBytes: Buffer.byteLength(body),
    receivedAt: NOW,
  };
}

function post(
  record: ReturnType<typeof createTestHost>,
  request: IngressRequest,
  now = NOW,
  config = CONFIG,
) {
  return run(code, CAP, triggerIn(CAP, { type: "request", request }, config, now), record.host);
}

const hostWithSecret = () => createTestHost({ secrets: { "hook-key": SECRET } });
const errorCode = (status: number, code: string) => ({ response: { status, body: { error: { code } } } });

describe("webhook@1", () => {
  it("accepts a signed JSON request: 202, fires with the parsed body and headers", async () => {
    const record = hostWithSecret();
    const body = '{"event":"deploy","n":3}';
    expect(await post(record, signed(body, NOW_S, { cookie: "sid=1" }))).toEqual({
      response: { status: 202, body: { accepted: true } },
    });
    expect(record.emits).toHaveLength(1);
    const fired = record.emits[0] as { kind: string; payload: Record<string, unknown> };
    expect(fired.kind).toBe("fired");
    expect(fired.payload).toMatchObject({
      receivedAt: NOW,
      contentType: "application/json",
      body: { event: "deploy", n: 3 },
    });
    const headers = fired.payload.headers as Record<string, string>;
    expect(headers["user-agent"]).toBe("curl/8");
    expect(headers.cookie).toBeUndefined();
  });

  it("keeps a non-JSON or unparsable body as text", async () => {
    const record = hostWithSecret();
    await post(record, signed("hello", NOW_S, { "content-type": "text/plain" }));
    await post(record, signed("{not json", NOW_S + 1));
    expect(record.emits.map((e) => (e as { payload: { body: unknown } }).payload.body)).toEqual([
      "hello",
      "{not json",
    ]);
  });

  it("refuses a wrong, malformed or missing signature with 401 invalid_signature", async () => {
    const record = hostWithSecret();
    const good = signed('{"a":1}');
    const cases: IngressRequest[] = [
      { ...good, body: '{"a":2}' },
      { ...good, headers: { ...good.headers, "x-latchflow-signature": "sha256=00" } },
      { ...good, headers: { ...good.headers, "x-latchflow-timestamp": String(NOW_S + 1) } },
      { ...good, headers: { ...good.headers, "x-latchflow-timestamp": "soon" } },
      { ...good, headers: { "content-type": "application/json" } },
    ];
    for (const request of cases) {
      expect(await post(record, request)).toMatchObject(errorCode(401, "invalid_signature"));
    }
    const otherKey = createTestHost({ secrets: { "hook-key": "another-key" } });
    expect(await post(otherKey, good)).toMatchObject(errorCode(401, "invalid_signature"));
    expect(record.emits).toEqual([]);
  });

  it("refuses a timestamp outside toleranceSeconds with 401 signature_expired (both directions)", async () => {
    const record = hostWithSecret();
    expect(await post(record, signed("{}", NOW_S - 301))).toMatchObject(errorCode(401, "signature_expired"));
    expect(await post(record, signed("{}", NOW_S + 301))).toMatchObject(errorCode(401, "signature_expired"));
    expect(await post(record, signed("{}", NOW_S - 300))).toMatchObject({ response: { status: 202 } });
    expect(record.emits).toHaveLength(1);
  });

  it("refuses a replayed signature inside the window and prunes old ones", async () => {
    const record = hostWithSecret();
    const request = signed('{"once":true}');
    expect(await post(record, request)).toMatchObject({ response: { status: 202 } });
    expect(await post(record, request, "2030-01-01T00:04:00.000Z")).toMatchObject(errorCode(401, "replayed"));
    expect(record.emits).toHaveLength(1);
    // past the window the same request is expired, and the stored entry is pruned by the next request
    expect(await post(record, request, "2030-01-01T00:05:01.000Z")).toMatchObject(
      errorCode(401, "signature_expired"),
    );
    await post(record, signed("{}", NOW_S + 301), "2030-01-01T00:05:01.000Z");
    expect(record.kv.get("seenSignatures")).toEqual([[expect.any(String), (NOW_S + 301) * 1000]]);
  });

  it("bounds the replay list: when it is full, new requests are refused (429), not forgotten", async () => {
    const record = hostWithSecret();
    const full = Array.from({ length: 1_000 }, (_, i) => [i.toString(16).padStart(32, "0"), NOW_S * 1000]);
    record.kv.set("seenSignatures", full);
    expect(await post(record, signed('{"n":1}'))).toMatchObject(errorCode(429, "too_many_requests"));
    expect(record.emits).toEqual([]);
    // once those entries age out, requests are accepted again
    const later = NOW_S + 400;
    expect(await post(record, signed('{"n":1}', later), new Date(later * 1000).toISOString())).toMatchObject({
      response: { status: 202 },
    });
    expect(record.kv.get("seenSignatures")).toHaveLength(1);
  });

  it("refuses a signed body over maxBodyBytes with 413 (by bytes); unsigned, the answer is 401 like any bad signature", async () => {
    const record = hostWithSecret();
    const body = JSON.stringify({ text: "é".repeat(520) }); // 1,052 bytes, 532 characters
    expect(await post(record, signed(body))).toMatchObject(errorCode(413, "payload_too_large"));
    expect(
      await post(record, { ...signed("other"), body, bodyBytes: Buffer.byteLength(body) }),
    ).toMatchObject(errorCode(401, "invalid_signature"));
    expect(await post(record, { ...signed("x"), bodyBytes: 2_000 })).toMatchObject(
      errorCode(413, "payload_too_large"),
    );
    expect(record.emits).toEqual([]);
  });

  it("answers 500 secret_missing and logs when the secret is not set", async () => {
    const record = createTestHost();
    expect(await post(record, signed("{}"))).toMatchObject(errorCode(500, "secret_missing"));
    expect(record.logs).toEqual([
      { level: "error", message: "webhook secret missing", fields: { secretName: "hook-key" } },
    ]);
  });

  it("arm sets no timers; controls are answered 405", async () => {
    expect(await run(code, CAP, triggerIn(CAP, { type: "arm" }, CONFIG, NOW), {})).toEqual({ timers: [] });
    expect(
      await run(
        code,
        CAP,
        triggerIn(CAP, { type: "control", action: "pause", actor: "u1" }, CONFIG, NOW),
        {},
      ),
    ).toMatchObject(errorCode(405, "not_supported"));
  });
});
