import { describe, expect, it } from "vitest";
import {
  DEVICE_CODE_GRANT,
  DeviceFlowError,
  pollForToken,
  revokeOwnToken,
  tokenId,
} from "../src/device-flow.js";
import { createClient } from "../src/index.js";

const code = {
  device_code: "d".repeat(40),
  user_code: "BCDF-GHJK",
  verification_uri: "http://h/device",
  verification_uri_complete: "http://h/device?user_code=BCDF-GHJK",
  expires_in: 600,
  interval: 5,
};

/** A token endpoint answering from a script; the clock only moves when the flow sleeps. */
function scripted(answers: [number, unknown][]) {
  const polls: unknown[] = [];
  const slept: number[] = [];
  let clock = 0;
  const api = createClient({
    baseUrl: "http://h",
    fetch: (async (_url: string, init: RequestInit) => {
      polls.push(JSON.parse(String(init.body)));
      const [status, body] = answers.shift() ?? [400, { error: "authorization_pending" }];
      return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
    }) as typeof fetch,
  });
  const options = {
    clientId: "latchflow-test",
    sleep: async (ms: number) => {
      slept.push(ms);
      clock += ms;
    },
    now: () => clock,
  };
  return { api, polls, slept, options };
}

const token = { access_token: "lf_01j00000000000000000000000_secret", token_type: "Bearer", scope: "" };

describe("device flow (RFC 8628) polling", () => {
  it("waits the interval, keeps polling while pending, slows down when told and returns the token", async () => {
    const s = scripted([
      [400, { error: "authorization_pending" }],
      [400, { error: "slow_down", interval: 10 }],
      [400, { error: "slow_down" }], // no interval given: 5 s more
      [200, token],
    ]);
    expect(await pollForToken(s.api, code, s.options)).toBe(token.access_token);
    expect(s.slept).toEqual([5000, 5000, 10_000, 15_000]);
    expect(s.polls[0]).toEqual({
      grant_type: DEVICE_CODE_GRANT,
      device_code: code.device_code,
      client_id: "latchflow-test",
    });
  });

  it("a denial, an expiry (told or by the clock) and any other refusal are DeviceFlowErrors with a reason", async () => {
    const reason = async (answers: [number, unknown][], expiresIn = 600) => {
      const s = scripted(answers);
      const err = await pollForToken(s.api, { ...code, expires_in: expiresIn }, s.options).catch((e) => e);
      expect(err).toBeInstanceOf(DeviceFlowError);
      return [(err as DeviceFlowError).reason, (err as Error).message];
    };
    expect(await reason([[400, { error: "access_denied" }]])).toEqual([
      "access_denied",
      "the sign-in was denied in the browser",
    ]);
    expect(await reason([[400, { error: "expired_token" }]])).toEqual([
      "expired_token",
      "the code expired before it was approved",
    ]);
    expect((await reason([], 12))[0]).toBe("expired_token"); // pending until the clock passes 12 s
    expect(await reason([[400, { error: "invalid_grant" }]])).toEqual([
      "device_flow_failed",
      "the server refused the sign-in (invalid_grant)",
    ]);
  });

  it("stops when aborted", async () => {
    const s = scripted([]);
    const controller = new AbortController();
    const polling = pollForToken(s.api, code, { clientId: "x", signal: controller.signal });
    controller.abort();
    await expect(polling).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("signing out", () => {
  it("a token's id is its ULID, upper-cased", () => {
    expect(tokenId("lf_01j00000000000000000000000_secret")).toBe("01J00000000000000000000000");
    expect(tokenId("not-a-token")).toBeUndefined();
  });

  it("revokes the token with itself, and says why when it could not", async () => {
    const seen: Request[] = [];
    const answer = (status: number, body: unknown) =>
      createClient({
        baseUrl: "http://h",
        fetch: (async (url: string, init: RequestInit) => {
          seen.push(new Request(url, init));
          return new Response(JSON.stringify(body), {
            status,
            headers: { "content-type": "application/json" },
          });
        }) as typeof fetch,
      });
    const revoked = {
      id: "01J00000000000000000000000",
      name: "device: latchflow-test",
      scopes: [],
      createdAt: "2026-01-01T00:00:00.000Z",
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: "2026-01-01T00:00:00.000Z",
    };
    const t = token.access_token;
    expect(await revokeOwnToken(answer(200, revoked), t)).toEqual({ revoked: true });
    expect(seen[0]?.url).toBe("http://h/api/v1/tokens/01J00000000000000000000000");
    expect(seen[0]?.headers.get("authorization")).toBe(`Bearer ${t}`);
    const refused = await revokeOwnToken(
      answer(403, { error: { code: "permission_denied", message: "Not allowed", requestId: "r" } }),
      t,
    );
    expect(refused).toEqual({ revoked: false, why: "Not allowed" });
    expect(await revokeOwnToken(answer(200, revoked), "lf_short")).toEqual({
      revoked: false,
      why: "no token id",
    });
  });
});
