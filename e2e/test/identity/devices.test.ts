// The recipient's devices and device pairing over the REST API (ADR 025), on SQLite + in-process bus and
// Postgres + NATS. The browser flows are in e2e/test/portal/devices.test.ts.
import type { Client, schemas } from "@latchflow/api";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { expectError } from "../http.js";
import { release } from "../portal/browser.js";
import { type Browser, codeIn, MODES, type Stack, startStack } from "../stack.js";

const CODE = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}$/;

describe.each(MODES)("recipient devices and pairing on %s + %s", { timeout: 60_000 }, (dialect, bus) => {
  let s: Stack;
  let alice: string;
  let bundleId: string;
  let bob: string;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "devices");
    const r = await release(s, "Device files", [{ name: "a.txt", data: Buffer.from("hello") }], {
      maxDownloads: 20,
    });
    bundleId = r.bundleId;
    bob = r.email;
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
  });

  let people = 0;
  /** A new recipient assigned the bundle (codes are throttled per recipient: each test signs in its own). */
  const person = async () => {
    const email = `person${++people}-devices@example.com`;
    const r = await s.client().createRecipient({ body: { email, name: `Person ${people}` } });
    await s
      .client()
      .createAssignment({ params: { id: bundleId }, body: { recipientId: r.id, maxDownloads: 20 } });
    return email;
  };

  /** Signs `email` in with an emailed code, in `browser` (a fresh one by default). */
  const signIn = async (email: string, browser: Browser = s.browser()) => {
    s.advance(61_000); // past the resend throttle
    const before = s.mail.to(email).length;
    await s.browser().client().startRecipientSignIn({ body: { email } });
    const code = codeIn((await s.mail.waitFor(email, () => s.mail.to(email).length > before)).text);
    await browser.client("recipient").verifyRecipientCode({ body: { email, code } });
    return browser;
  };
  const portal = (b: Browser): Client => b.client("recipient");
  const current = async (b: Browser) => (await portal(b).listPortalDevices()).items.find((d) => d.current)!;
  const download = async (b: Browser) => {
    // the archive may still be building right after the release
    for (let i = 0; ; i++) {
      const res = await portal(b).raw.consumePortalDownload({ params: { id: bundleId }, body: {} });
      if (res.ok) return res.body as schemas.DownloadGrant;
      if (i > 50) throw new Error(`download refused: ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const auditTypes = async (prefix: string) => {
    const page = await s.client().listAuditRecords({ query: { type: prefix, limit: 200 } });
    return page.items;
  };

  beforeEach(async () => {
    alice = await person();
  });

  describe("devices", () => {
    it("lists the browsers that signed in, this one first, with a device cookie each", async () => {
      const a = await signIn(alice);
      const b = await signIn(alice);
      expect(a.cookies.get("lf_device")).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
      expect(b.cookies.get("lf_device")).not.toBe(a.cookies.get("lf_device"));
      const { items } = await portal(a).listPortalDevices();
      expect(items).toHaveLength(2);
      expect(items[0]).toMatchObject({ current: true, name: "", signedIn: true, pairedBy: null });
      expect(items[1]).toMatchObject({ current: false, signedIn: true });
      // signing in again in the same browser is the same device
      await signIn(alice, a);
      expect((await portal(a).listPortalDevices()).items).toHaveLength(2);
    });

    it("names a device; refuses bad names, other recipients, admin tokens, missing CSRF and no session", async () => {
      const a = await signIn(alice);
      const mine = await current(a);
      const renamed = await portal(a).renamePortalDevice({
        params: { id: mine.id },
        body: { name: "  Kitchen laptop " },
      });
      expect(renamed).toMatchObject({ id: mine.id, name: "Kitchen laptop", current: true });
      expectError(
        await portal(a).raw.renamePortalDevice({ params: { id: mine.id }, body: { name: " " } }),
        422,
        "validation_failed",
      );
      expectError(
        await portal(a).raw.renamePortalDevice({ params: { id: mine.id }, body: { name: "x".repeat(61) } }),
        422,
        "validation_failed",
      );
      const other = await signIn(bob);
      expect((await portal(other).listPortalDevices()).items.map((d) => d.id)).not.toContain(mine.id);
      expectError(
        await portal(other).raw.renamePortalDevice({ params: { id: mine.id }, body: { name: "mine now" } }),
        404,
        "not_found",
      );
      expectError(await portal(other).raw.forgetPortalDevice({ params: { id: mine.id } }), 404, "not_found");
      expectError(await s.api("GET", "/api/v1/portal/devices"), 401, "unauthenticated");
      expectError(await s.browser().request("GET", "/api/v1/portal/devices"), 401, "unauthenticated");
      const noCsrf = await a.request("PATCH", `/api/v1/portal/devices/${mine.id}`, {
        json: { name: "nope" },
      });
      expect(expectError(noCsrf, 403, "permission_denied").details?.reason).toBe("csrf");
      expectError(await a.request("DELETE", `/api/v1/portal/devices/${mine.id}`), 403, "permission_denied");
      expect((await current(a)).name).toBe("Kitchen laptop");
      await eventuallyAudit("auth.recipient-device.renamed", mine.id);
    });

    it("forgets another device: its session ends at once, its next sign-in and download are new", async () => {
      const a = await signIn(alice);
      const b = await signIn(alice);
      expect((await download(b)).newDevice).toBe(true);
      expect((await download(b)).newDevice).toBe(false);
      const bDevice = await current(b);
      const oldKey = b.cookies.get("lf_device");
      await portal(a).forgetPortalDevice({ params: { id: bDevice.id } });
      expectError(await portal(b).raw.getPortalMe(), 401, "unauthenticated");
      expect((await portal(a).listPortalDevices()).items.map((d) => d.id)).not.toContain(bDevice.id);
      expectError(await portal(a).raw.forgetPortalDevice({ params: { id: bDevice.id } }), 404, "not_found");
      // the same browser signs in again: a new device, with a new device cookie
      await signIn(alice, b);
      expect(b.cookies.get("lf_device")).not.toBe(oldKey);
      const again = await current(b);
      expect(again.id).not.toBe(bDevice.id);
      expect(again.name).toBe("");
      expect((await download(b)).newDevice).toBe(true);
      const forgotten = await eventuallyAudit("auth.recipient-device.forgotten", bDevice.id);
      expect(forgotten.data).toMatchObject({ sessionsEnded: 1 });
    });

    it("the download history names the device of each download while it is named and known", async () => {
      const a = await signIn(alice);
      const b = await signIn(alice);
      await download(a);
      await download(b);
      const mine = await current(a);
      await portal(a).renamePortalDevice({ params: { id: mine.id }, body: { name: "Phone" } });
      const names = async () =>
        (await portal(a).listPortalDownloads()).items.map((d) => [d.thisDevice, d.deviceName]);
      expect(await names()).toEqual([
        [false, null],
        [true, "Phone"],
      ]);
      await portal(b).forgetPortalDevice({ params: { id: mine.id } });
      await signIn(alice, a);
      expect((await names()).map(([, name]) => name)).toEqual([null, null]);
    });

    it("forgetting this device signs out and clears its cookies", async () => {
      const a = await signIn(alice);
      const mine = await current(a);
      const res = await a.request("DELETE", `/api/v1/portal/devices/${mine.id}`, { csrf: "recipient" });
      expect(res.status).toBe(204);
      const cleared = res.headers.getSetCookie().join("\n");
      expect(cleared).toMatch(/lf_recipient=; Path=\/; Max-Age=0/);
      expect(cleared).toMatch(/lf_device=; Path=\/; Max-Age=0/);
      expect(a.cookies.has("lf_recipient")).toBe(false);
      expectError(await portal(a).raw.getPortalMe(), 401, "unauthenticated");
    });
  });

  /** The audit record of `type` about `id` (audit arrives through the bus). */
  async function eventuallyAudit(type: string, id: string) {
    for (let i = 0; i < 100; i++) {
      const found = (await auditTypes(type)).find((r) => JSON.stringify(r).includes(id));
      if (found) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no audit record ${type} about ${id}`);
  }

  describe("pairing", () => {
    it("pairs a new browser: code entered elsewhere, confirmed here, signed in as the same recipient", async () => {
      const a = await signIn(alice);
      const aDevice = await current(a);
      const started = await portal(a).startPortalPairing();
      expect(started).toMatchObject({ status: "waiting", claimant: null });
      expect(started.code).toMatch(CODE);
      expect(started.url).toBe(`${s.base}/portal/pair?code=${started.code}`);
      expect(new Date(started.expiresAt).getTime() - s.now().getTime()).toBeGreaterThan(590_000);
      expect(await portal(a).getPortalPairing({ params: { id: started.id } })).toMatchObject({
        status: "waiting",
        code: "",
      });

      // entered in lower case, without the dash, with spaces
      const typed = ` ${started.code.toLowerCase().replace("-", " ")} `;
      const c = s.browser();
      const claim = await c.request("POST", "/api/v1/portal/pairing-claims", {
        json: { code: typed },
        headers: { "user-agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/130.0 Mobile" },
      });
      expect(claim.status).toBe(202);
      expect(claim.body).toMatchObject({ status: "pending" });
      expect(claim.headers.getSetCookie().join("\n")).toMatch(
        /lf_pairing_claim=[^;]+; Path=\/; Max-Age=\d+; SameSite=Strict; HttpOnly/,
      );
      expect(c.cookies.has("lf_device")).toBe(true);
      // one claimant per code
      expectError(
        await s
          .browser()
          .client()
          .raw.claimPortalPairing({ body: { code: started.code } }),
        404,
        "not_found",
      );
      expect(await c.client().getPortalPairingClaim()).toMatchObject({ status: "pending" });
      expectError(await s.browser().client().raw.getPortalPairingClaim(), 404, "not_found");

      // only alice sees, approves or denies it
      const other = await signIn(bob);
      for (const res of [
        await portal(other).raw.getPortalPairing({ params: { id: started.id } }),
        await portal(other).raw.approvePortalPairing({ params: { id: started.id } }),
        await portal(other).raw.denyPortalPairing({ params: { id: started.id } }),
      ])
        expectError(res, 404, "not_found");
      expectError(
        await a.request("POST", `/api/v1/portal/pairings/${started.id}/approve`),
        403,
        "permission_denied",
      );
      expectError(
        await s.api("POST", `/api/v1/portal/pairings/${started.id}/approve`),
        401,
        "unauthenticated",
      );

      const seen = await portal(a).getPortalPairing({ params: { id: started.id } });
      expect(seen.status).toBe("claimed");
      expect(seen.claimant?.userAgent).toContain("Android 14");
      const approved = await portal(a).approvePortalPairing({ params: { id: started.id } });
      expect(approved.status).toBe("approved");
      expectError(await portal(a).raw.approvePortalPairing({ params: { id: started.id } }), 409, "conflict");

      expect(c.cookies.has("lf_recipient")).toBe(false);
      expect(await c.client().getPortalPairingClaim()).toEqual({
        status: "approved",
        expiresAt: started.expiresAt,
      });
      expect(c.cookies.has("lf_recipient")).toBe(true);
      expect(c.cookies.has("lf_recipient_csrf")).toBe(true);
      expect(c.cookies.has("lf_pairing_claim")).toBe(false);
      expect(await portal(c).getPortalMe()).toMatchObject({ email: alice });
      // the claim is spent
      const replay = await c.request("GET", "/api/v1/portal/pairing-claims/current", {
        headers: {
          cookie: `lf_pairing_claim=${claim.headers.getSetCookie()[0]!.split(";")[0]!.split("=")[1]}`,
        },
      });
      expectError(replay, 404, "not_found");

      const cDevice = await current(c);
      expect(cDevice).toMatchObject({ pairedBy: aDevice.id, signedIn: true });
      expect((await portal(a).listPortalDevices()).items.find((d) => d.id === cDevice.id)).toMatchObject({
        pairedBy: aDevice.id,
      });
      const audit = await eventuallyAudit("auth.pairing.approved", started.id);
      expect(audit.data).toMatchObject({ newDeviceId: cDevice.id, approvedBy: aDevice.id });
      await eventuallyAudit("auth.pairing.started", started.id);
      await eventuallyAudit("auth.pairing.claimed", started.id);

      // revocable from Devices
      await portal(a).forgetPortalDevice({ params: { id: cDevice.id } });
      expectError(await portal(c).raw.getPortalMe(), 401, "unauthenticated");
    });

    it("a denied claimant is told so and never signed in", async () => {
      const a = await signIn(alice);
      const started = await portal(a).startPortalPairing();
      const c = s.browser();
      await c.client().claimPortalPairing({ body: { code: started.code } });
      expect((await portal(a).denyPortalPairing({ params: { id: started.id } })).status).toBe("denied");
      expectError(await portal(a).raw.approvePortalPairing({ params: { id: started.id } }), 409, "conflict");
      expect(await c.client().getPortalPairingClaim()).toMatchObject({ status: "denied" });
      expect(c.cookies.has("lf_recipient")).toBe(false);
      await eventuallyAudit("auth.pairing.denied", started.id);
    });

    it("codes expire after 10 minutes", async () => {
      const a = await signIn(alice);
      const unclaimed = await portal(a).startPortalPairing();
      const claimedLate = await portal(a).startPortalPairing();
      const c = s.browser();
      await c.client().claimPortalPairing({ body: { code: claimedLate.code } });
      s.advance(10 * 60_000 + 1_000);
      expectError(
        await s
          .browser()
          .client()
          .raw.claimPortalPairing({ body: { code: unclaimed.code } }),
        404,
        "not_found",
      );
      expect(await portal(a).getPortalPairing({ params: { id: unclaimed.id } })).toMatchObject({
        status: "expired",
      });
      expect(await c.client().getPortalPairingClaim()).toMatchObject({ status: "expired" });
      expectError(
        await portal(a).raw.approvePortalPairing({ params: { id: claimedLate.id } }),
        409,
        "conflict",
      );
    });

    it("limits code guessing per address", async () => {
      const guess = () =>
        s
          .browser()
          .client()
          .raw.claimPortalPairing({ body: { code: "ZZZZ-ZZZZ" } });
      let limited = false;
      for (let i = 0; i < 12 && !limited; i++) {
        const res = await guess();
        if (res.status === 429) limited = true;
        else expectError(res, 404, "not_found");
      }
      expect(limited).toBe(true);
      expectError(await guess(), 429, "rate_limited");
    });
  });
});
