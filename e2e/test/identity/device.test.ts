import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpResult, http } from "../http.js";
import { type Browser, MODES, OWNER_EMAIL, type Stack, startStack } from "../stack.js";

const GRANT = "urn:ietf:params:oauth:grant-type:device_code";

describe.each(MODES)("CLI device authorization (RFC 8628) on %s + %s", (dialect, bus) => {
  let s: Stack;
  let owner: Browser;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "device");
    owner = await s.signIn(OWNER_EMAIL);
  });
  afterAll(async () => {
    await s?.stop();
  });

  const requestCode = async (scope = "bundles:read bundles:write") => {
    const res = await fetch(`${s.base}/api/v1/auth/device/code`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: "latchflow-cli", scope }).toString(),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as {
      device_code: string;
      user_code: string;
      verification_uri: string;
      verification_uri_complete: string;
      expires_in: number;
      interval: number;
    };
  };
  const poll = (deviceCode: string): Promise<HttpResult> =>
    http(s.base, "POST", "/api/v1/auth/device/token", {
      body: new URLSearchParams({
        grant_type: GRANT,
        device_code: deviceCode,
        client_id: "latchflow-cli",
      }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
  const decide = async (userCode: string, decision: "approve" | "deny") => {
    const page = await owner.request("GET", `/device?user_code=${userCode}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(userCode);
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.text)?.[1];
    expect(csrf).toBeDefined();
    const res = await owner.request("POST", "/device", {
      form: { user_code: userCode, decision, csrf_token: csrf! },
    });
    expect(res.status, res.text).toBe(200);
  };

  it("answers with RFC 8628 codes", async () => {
    const d = await requestCode();
    expect(d.user_code).toMatch(/^[BCDFGHJKMNPQRSTVWXZ2-9]{4}-[BCDFGHJKMNPQRSTVWXZ2-9]{4}$/);
    expect(d.verification_uri).toBe(`${s.base}/device`);
    expect(d.verification_uri_complete).toBe(`${s.base}/device?user_code=${d.user_code}`);
    expect(d.expires_in).toBe(600);
    expect(d.interval).toBe(5);
    expect(d.device_code.length).toBeGreaterThanOrEqual(40);
  });

  it("pending → slow_down on fast polling → approved → token for the approving user, once", async () => {
    const d = await requestCode();
    const first = await poll(d.device_code);
    expect(first.status).toBe(400);
    expect(first.body).toEqual({ error: "authorization_pending" });
    const fast = await poll(d.device_code);
    expect(fast.body).toMatchObject({ error: "slow_down", interval: 10 });

    await decide(d.user_code, "approve");
    s.advance(11_000);
    const granted = await poll(d.device_code);
    expect(granted.status, granted.text).toBe(200);
    const body = granted.body as { access_token: string; token_type: string; scope: string };
    expect(body.token_type).toBe("Bearer");
    expect(body.scope.split(" ").sort()).toEqual(["bundles:read", "bundles:write"]);
    const me = await http(s.base, "GET", "/api/v1/auth/me", { token: body.access_token });
    expect(me.body).toMatchObject({ email: OWNER_EMAIL, scopes: ["bundles:read", "bundles:write"] });
    expect((await http(s.base, "GET", "/api/v1/bundles", { token: body.access_token })).status).toBe(200);
    expect((await http(s.base, "GET", "/api/v1/audit", { token: body.access_token })).status).toBe(403);

    s.advance(11_000);
    expect((await poll(d.device_code)).body).toEqual({ error: "expired_token" });
  });

  it("access_denied when the user denies", async () => {
    const d = await requestCode();
    await decide(d.user_code, "deny");
    expect((await poll(d.device_code)).body).toEqual({ error: "access_denied" });
  });

  it("expired_token after the code's lifetime", async () => {
    const d = await requestCode();
    s.advance(601_000);
    expect((await poll(d.device_code)).body).toEqual({ error: "expired_token" });
    const page = await owner.request("GET", `/device?user_code=${d.user_code}`);
    expect(page.text).toContain("Unknown or expired code");
  });

  it("rejects wrong grant types, unknown device codes, and approval without a session or CSRF token", async () => {
    const bad = await http(s.base, "POST", "/api/v1/auth/device/token", {
      json: { grant_type: "password", device_code: "x" },
    });
    expect(bad.body).toMatchObject({ error: "unsupported_grant_type" });
    expect((await poll("no-such-device-code")).body).toMatchObject({ error: "invalid_grant" });
    const d = await requestCode();
    const anonymous = await s.browser().request("GET", `/device?user_code=${d.user_code}`);
    expect(anonymous.text).toContain("Sign in first");
    const noCsrf = await owner.request("POST", "/device", {
      form: { user_code: d.user_code, decision: "approve", csrf_token: "nope" },
    });
    expect(noCsrf.status).toBe(403);
    expect((await poll(d.device_code)).body).toEqual({ error: "authorization_pending" });
  });
});
