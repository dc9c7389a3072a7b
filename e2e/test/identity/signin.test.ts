import type { Client, operations, RawResult } from "@latchflow/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "../http.js";
import { codeIn, linkIn, MODES, OWNER_EMAIL, type Stack, startStack } from "../stack.js";

describe.each(MODES)("sign-in flows on %s + %s", (dialect, bus) => {
  let s: Stack;
  let api: Client;
  /** a caller without credentials (a fresh browser) */
  const anonymous = () => s.browser().client();
  beforeAll(async () => {
    s = await startStack(dialect, bus, "signin");
    api = s.client();
  });
  afterAll(async () => {
    await s?.stop();
  });

  describe("admin magic link", () => {
    it("emails a link that signs in once, sets safe cookies and redirects", async () => {
      expect(await anonymous().startAdminSignIn({ body: { email: OWNER_EMAIL } })).toEqual({
        status: "sent",
      });
      const link = linkIn((await s.mail.waitFor(OWNER_EMAIL)).text);
      const browser = s.browser();
      const res = await browser.request("GET", link.replace(s.base, ""));
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/admin/");
      const cookies = res.headers.getSetCookie().join("\n");
      expect(cookies).toMatch(/lf_session=[^;]+; Path=\/; Max-Age=\d+; SameSite=Lax; HttpOnly/);
      expect(cookies).toMatch(/lf_csrf=[^;]+; Path=\/; Max-Age=\d+; SameSite=Strict/);
      expect(cookies).not.toMatch(/lf_csrf=[^\n]*HttpOnly/);
      const me = await browser.client().getMe();
      expect(me).toMatchObject({ kind: "user", email: OWNER_EMAIL, role: "owner" });
      expect(me.effective["users:admin"]).toBe("all");

      expectError(await s.browser().request("GET", link.replace(s.base, "")), 401, "unauthenticated");
    });

    it("rejects an expired link and a forged one", async () => {
      await anonymous().startAdminSignIn({ body: { email: OWNER_EMAIL } });
      const count = s.mail.to(OWNER_EMAIL).length;
      const link = linkIn(
        (await s.mail.waitFor(OWNER_EMAIL, () => s.mail.to(OWNER_EMAIL).length >= count)).text,
      );
      s.advance(16 * 60_000);
      expectError(await s.browser().request("GET", link.replace(s.base, "")), 401, "unauthenticated");
      const forged = link.replace(/token=[^&]+/, "token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
      expectError(await s.browser().request("GET", forged.replace(s.base, "")), 401, "unauthenticated");
    });

    it("answers unknown emails exactly like known ones and sends nothing", async () => {
      const known = await anonymous().raw.startAdminSignIn({ body: { email: OWNER_EMAIL } });
      const unknown = await anonymous().raw.startAdminSignIn({ body: { email: "stranger@example.com" } });
      expect(unknown.status).toBe(known.status);
      expect(unknown.body).toEqual(known.body);
      await s.mail.waitFor(OWNER_EMAIL);
      await new Promise((r) => setTimeout(r, 300));
      expect(s.mail.to("stranger@example.com")).toHaveLength(0);
    });

    it("refuses a cookie-authenticated mutation without the CSRF token, accepts it with", async () => {
      const browser = await s.signIn(OWNER_EMAIL);
      const without = await browser.request("POST", "/api/v1/bundles", { json: { name: "csrf-less" } });
      expect(expectError(without, 403, "permission_denied").details?.reason).toBe("csrf");
      const wrong = await browser.request("POST", "/api/v1/bundles", {
        json: { name: "csrf-wrong" },
        headers: { "x-csrf-token": "not-the-token" },
      });
      expectError(wrong, 403, "permission_denied");
      const ok = await browser.client().createBundle({ body: { name: "csrf-ok" } });
      expect(ok.name).toBe("csrf-ok");
    });

    it("lists and revokes sessions; logout ends the session", async () => {
      const a = await s.signIn(OWNER_EMAIL);
      const b = await s.signIn(OWNER_EMAIL);
      const { items } = await a.client().listSessions();
      expect(items.filter((x) => x.current)).toHaveLength(1);
      const bId = (await b.client().listSessions()).items.find((x) => x.current)!.id;
      expect((await a.client().revokeSession({ params: { id: bId } })).status).toBe(204);
      expectError(await b.client().raw.getMe(), 401, "unauthenticated");
      expect((await a.client().logout()).status).toBe(204);
      expect(a.cookies.has("lf_session")).toBe(false);
      const c = await s.signIn(OWNER_EMAIL);
      const all = await c.client().revokeAllSessions();
      expect(all.revoked).toBeGreaterThanOrEqual(1);
      expectError(await c.client().raw.getMe(), 401, "unauthenticated");
    });
  });

  describe("recipient one-time code", () => {
    beforeAll(async () => {
      for (const [email, enabled] of [
        ["alice@example.com", true],
        ["bob@example.com", true],
        ["carol@example.com", true],
        ["dave@example.com", false],
      ] as const) {
        const made = await api.createRecipient({ body: { email, name: email.split("@")[0], enabled } });
        expect(made).toMatchObject({ email, enabled });
      }
    });

    /** a code check from a fresh browser */
    const verify = (email: string, code: string) =>
      anonymous().raw.verifyRecipientCode({ body: { email, code } });

    const startCode = async (email: string) => {
      const before = s.mail.to(email).length;
      await anonymous().startRecipientSignIn({ body: { email } });
      return codeIn((await s.mail.waitFor(email, () => s.mail.to(email).length > before)).text);
    };

    it("emails a 6-digit code that signs the recipient in once", async () => {
      const code = await startCode("alice@example.com");
      expect(code).toMatch(/^\d{6}$/);
      const browser = s.browser();
      const portal = browser.client("recipient");
      const ok = await portal.verifyRecipientCode({ body: { email: "alice@example.com", code } });
      expect(ok.recipient.email).toBe("alice@example.com");
      expect(browser.cookies.has("lf_recipient")).toBe(true);
      expect(await portal.getMe()).toMatchObject({ kind: "recipient", email: "alice@example.com" });
      // a recipient session is no admin credential
      expectError(await portal.raw.listBundles(), 401, "unauthenticated");
      expectError(await verify("alice@example.com", code), 401, "unauthenticated");
    });

    it("invalidates the code after 5 wrong attempts", async () => {
      const code = await startCode("bob@example.com");
      const wrong = code === "000000" ? "111111" : "000000";
      for (let i = 0; i < 5; i++) {
        expectError(await verify("bob@example.com", wrong), 401, "unauthenticated");
      }
      expectError(await verify("bob@example.com", code), 401, "unauthenticated");
    });

    it("throttles resends and expires codes after 10 minutes", async () => {
      const first = await startCode("carol@example.com");
      const again = await anonymous().raw.startRecipientSignIn({ body: { email: "carol@example.com" } });
      expect(again.status).toBe(202);
      await new Promise((r) => setTimeout(r, 300));
      expect(s.mail.to("carol@example.com")).toHaveLength(1);
      s.advance(11 * 60_000);
      expectError(await verify("carol@example.com", first), 401, "unauthenticated");
      const second = await startCode("carol@example.com");
      const ok = await verify("carol@example.com", second);
      expect(ok.status).toBe(200);
    });

    it("sends nothing to disabled or unknown recipients, with the same answer", async () => {
      const disabled = await anonymous().raw.startRecipientSignIn({ body: { email: "dave@example.com" } });
      const unknown = await anonymous().raw.startRecipientSignIn({ body: { email: "nobody@example.com" } });
      expect(disabled.status).toBe(202);
      expect(unknown.body).toEqual(disabled.body);
      await new Promise((r) => setTimeout(r, 300));
      expect(s.mail.to("dave@example.com")).toHaveLength(0);
      expect(s.mail.to("nobody@example.com")).toHaveLength(0);
    });

    it("rate-limits the auth endpoints per IP with 429 and Retry-After", async () => {
      let limited: RawResult<typeof operations.startRecipientSignIn> | undefined;
      for (let i = 0; i < 40 && !limited; i++) {
        const res = await anonymous().raw.startRecipientSignIn({ body: { email: `flood${i}@example.com` } });
        if (res.status === 429) limited = res;
      }
      expect(limited).toBeDefined();
      expectError(limited!, 429, "rate_limited");
      expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
    });
  });
});
