import { schemas } from "@latchflow/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, type HttpResult, http } from "../http.js";
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

  // the device's own requests are form-encoded as RFC 8628 has them (the typed client sends JSON)
  const requestCode = async (scope = "bundles:read bundles:write") => {
    const res = await fetch(`${s.base}/api/v1/auth/device/code`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: "latchflow-cli", scope }).toString(),
    });
    expect(res.status).toBe(200);
    return schemas.DeviceCode.parse(await res.json());
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
  // as the admin app's approval page (/admin/device) does: the typed client with the session and CSRF header
  const decide = async (userCode: string, decision: "approve" | "deny") => {
    const ui = owner.client();
    const info = await ui.getDeviceAuthorization({ params: { userCode } });
    expect(info).toMatchObject({ userCode, clientId: "latchflow-cli", status: "pending" });
    const decided = await ui.decideDeviceAuthorization({ params: { userCode }, body: { decision } });
    expect(decided.status).toBe(decision === "approve" ? "approved" : "denied");
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
    const body = schemas.DeviceToken.parse(granted.body);
    expect(body.token_type).toBe("Bearer");
    expect(body.scope.split(" ").sort()).toEqual(["bundles:read", "bundles:write"]);
    const cli = s.client(body.access_token);
    expect(await cli.getMe()).toMatchObject({
      email: OWNER_EMAIL,
      scopes: ["bundles:read", "bundles:write"],
    });
    expect((await cli.listBundles()).items).toBeInstanceOf(Array);
    expectError(await cli.raw.listAuditRecords(), 403, "permission_denied");

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
    expectError(
      await owner.client().raw.getDeviceAuthorization({ params: { userCode: d.user_code } }),
      404,
      "not_found",
    );
  });

  it("rejects wrong grant types, unknown device codes, and approval without a session or CSRF token", async () => {
    const bad = await s
      .browser()
      .client()
      .raw.pollDeviceToken({
        body: { grant_type: "password", device_code: "x" },
      });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: "unsupported_grant_type" });
    expect((await poll("no-such-device-code")).body).toMatchObject({ error: "invalid_grant" });
    const d = await requestCode();
    // the short address the CLI prints only redirects to the admin app's page, keeping the code
    const page = await s.browser().request("GET", `/device?user_code=${d.user_code}`);
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe(`/admin/device?user_code=${d.user_code}`);
    expect((await s.browser().request("GET", "/device")).headers.get("location")).toBe("/admin/device");
    const anonymous = s.browser().client();
    expectError(
      await anonymous.raw.getDeviceAuthorization({ params: { userCode: d.user_code } }),
      401,
      "unauthenticated",
    );
    expectError(
      await anonymous.raw.decideDeviceAuthorization({
        params: { userCode: d.user_code },
        body: { decision: "approve" },
      }),
      401,
      "unauthenticated",
    );
    // the session cookie without the CSRF header the typed client would add
    const noCsrf = await owner.request("POST", `/api/v1/auth/device/authorizations/${d.user_code}/decision`, {
      json: { decision: "approve" },
    });
    expect(noCsrf.status).toBe(403);
    expect((await poll(d.device_code)).body).toEqual({ error: "authorization_pending" });
  });
});
