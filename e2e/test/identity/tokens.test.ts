import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, http } from "../http.js";
import { MODES, type Stack, startStack } from "../stack.js";

interface Created {
  token: string;
  info: { id: string; scopes: string[] };
}

describe.each(MODES)("API tokens on %s + %s", (dialect, bus) => {
  let s: Stack;
  beforeAll(async () => {
    // this file mints 1,000 tokens within seconds: lift the per-identity auth endpoint limit
    s = await startStack(dialect, bus, "tokens", { LATCHFLOW_AUTH_RATE_LIMIT: "100000" });
  });
  afterAll(async () => {
    await s?.stop();
  });

  const create = async (body: Record<string, unknown>, token?: string) => {
    const res = await s.api("POST", "/api/v1/tokens", { json: body, ...(token ? { token } : {}) });
    expect(res.status, res.text).toBe(201);
    return res.body as Created;
  };
  const me = (token: string) => http(s.base, "GET", "/api/v1/auth/me", { token });

  it("1,000 freshly minted tokens all authenticate", async () => {
    const tokens: string[] = [];
    for (let batch = 0; batch < 100; batch++) {
      const created = await Promise.all(
        Array.from({ length: 10 }, (_, i) => create({ name: `bulk-${batch}-${i}` })),
      );
      tokens.push(...created.map((c) => c.token));
    }
    expect(new Set(tokens).size).toBe(1000);
    for (const t of tokens) expect(t).toMatch(/^lf_[0-9a-z]{26}_[A-Za-z0-9_-]{43}$/);
    const failures: string[] = [];
    for (let i = 0; i < tokens.length; i += 20) {
      const results = await Promise.all(tokens.slice(i, i + 20).map((t) => me(t)));
      results.forEach((r, j) => {
        if (r.status !== 200) failures.push(tokens[i + j]!);
      });
    }
    expect(failures).toEqual([]);
  }, 180_000);

  it("rotation replaces the secret: the old one fails at once, the new one works", async () => {
    const c = await create({ name: "rotating" });
    const rotated = await s.api("POST", `/api/v1/tokens/${c.info.id}/rotate`);
    expect(rotated.status).toBe(200);
    const fresh = (rotated.body as Created).token;
    expect(fresh).not.toBe(c.token);
    expectError(await me(c.token), 401, "unauthenticated");
    expect((await me(fresh)).status).toBe(200);
  });

  it("revoked and expired tokens fail", async () => {
    const revoked = await create({ name: "revoked" });
    expect((await s.api("DELETE", `/api/v1/tokens/${revoked.info.id}`)).status).toBe(200);
    expectError(await me(revoked.token), 401, "unauthenticated");
    const expiring = await create({ name: "expiring", expiresInDays: 1 });
    expect((await me(expiring.token)).status).toBe(200);
    s.advance(86_400_000 + 1000);
    expectError(await me(expiring.token), 401, "unauthenticated");
  });

  it("a missing scope is 403; scopes beyond the role are refused", async () => {
    const readOnly = await create({ name: "read-only", scopes: ["bundles:read"] });
    expect((await http(s.base, "GET", "/api/v1/bundles", { token: readOnly.token })).status).toBe(200);
    const denied = await http(s.base, "POST", "/api/v1/bundles", {
      token: readOnly.token,
      json: { name: "nope" },
    });
    expectError(denied, 403, "permission_denied");
    expectError(
      await s.api("POST", "/api/v1/tokens", { json: { name: "x", scopes: ["made:up"] } }),
      422,
      "validation_failed",
    );
  });

  it("tokens of a deactivated user stop working at once, and work again on reactivation", async () => {
    const invited = await s.api("POST", "/api/v1/users", {
      json: { email: "temp-admin@example.com", role: "admin" },
    });
    expect(invited.status, invited.text).toBe(201);
    const userId = (invited.body as { id: string }).id;
    const browser = await s.signIn("temp-admin@example.com");
    const created = await browser.request("POST", "/api/v1/tokens", { json: { name: "mine" }, csrf: "user" });
    expect(created.status, created.text).toBe(201);
    const token = (created.body as Created).token;
    expect((await me(token)).status).toBe(200);
    expect((await s.api("PATCH", `/api/v1/users/${userId}`, { json: { active: false } })).status).toBe(200);
    expectError(await me(token), 401, "unauthenticated");
    expectError(await browser.request("GET", "/api/v1/auth/me"), 401, "unauthenticated");
    expect((await s.api("PATCH", `/api/v1/users/${userId}`, { json: { active: true } })).status).toBe(200);
    expect((await me(token)).status).toBe(200);
  });

  it("lists own tokens; to a user without users:admin another user's token does not exist", async () => {
    const listed = await create({ name: "listed" });
    const mine = await s.api("GET", "/api/v1/tokens");
    expect((mine.body as { items: { id: string }[] }).items.map((t) => t.id)).toContain(listed.info.id);
    const invited = await s.api("POST", "/api/v1/users", {
      json: { email: "other@example.com", role: "executor" },
    });
    expect(invited.status).toBe(201);
    const other = await s.signIn("other@example.com");
    const res = await other.request("DELETE", `/api/v1/tokens/${listed.info.id}`, { csrf: "user" });
    expectError(res, 404, "not_found");
    expectError(await other.request("GET", "/api/v1/tokens?all=true"), 403, "permission_denied");
    expect((await me(listed.token)).status).toBe(200);
  });
});

describe.each(MODES)("auth endpoint rate limits on %s + %s", (dialect, bus) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "authlimit", { LATCHFLOW_AUTH_RATE_LIMIT: "5" });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("limits every auth endpoint per identity and per IP with 429 and Retry-After", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await s.api("GET", "/api/v1/auth/me")).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const limited = await s.api("GET", "/api/v1/tokens");
    expectError(limited, 429, "rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // other APIs are not auth endpoints
    expect((await s.api("GET", "/api/v1/bundles")).status).toBe(200);
  });

  it("limits the public trigger ingress per IP too (webhooks, check-in links)", async () => {
    s.advance(2 * 60_000); // a fresh window
    const hook = () =>
      http(s.base, "POST", "/hooks/nope/incoming", {
        body: "{}",
        headers: { "content-type": "application/json" },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await hook()).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expectError(await hook(), 429, "rate_limited");
    expectError(await http(s.base, "POST", "/checkin/not-a-real-token-at-all"), 429, "rate_limited");
  });
});
