import type { operations, RawResult } from "@latchflow/api";
import { waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recipientBrowser, releasedBundle } from "../files/helpers.js";
import { expectError } from "../http.js";
import { MODES, type Stack, startStack } from "../stack.js";

const PASSPHRASE = "correct horse battery";
const data = Buffer.from("a letter for later");

/** Why a download was refused (undefined when it was granted). */
const reason = (res: RawResult<typeof operations.consumePortalDownload>) =>
  res.ok ? undefined : res.body.error.details?.reason;
/** The reason an audited refusal names (an audit record's data is its event's own payload). */
const auditedReason = (data: unknown) =>
  typeof data === "object" && data !== null && "reason" in data ? data.reason : undefined;

describe.each(MODES)("download passphrases (issue 10 item 2c) (%s, %s)", (dialect, bus) => {
  let s: Stack;
  beforeAll(async () => {
    // client IPs come from X-Forwarded-For, so one test can play several clients
    s = await startStack(dialect, bus, "sec_pass", { LATCHFLOW_TRUST_PROXY: "true" });
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
  });

  /** A bundle behind the passphrase, its recipient signed in; `tryWith` asks for a download from an IP. */
  async function guarded(name: string) {
    const r = await releasedBundle(s, name, [{ name: "a.txt", data }], { passphrase: PASSPHRASE });
    const portal = (await recipientBrowser(s, r.email)).client("recipient");
    const tryWith = (passphrase: string, ip: string) =>
      portal.raw.consumePortalDownload({
        params: { id: r.bundleId },
        body: { passphrase },
        headers: { "x-forwarded-for": ip },
      });
    return { ...r, tryWith };
  }

  async function deniedEvents(recipientId: string) {
    const { items } = await s.client().listAuditRecords({
      query: { type: "bundles.download.denied", recipient: recipientId, limit: 200 },
    });
    return items.map((e) => auditedReason(e.data));
  }

  it("passphrases cannot be guessed without limit: after 5 wrong tries on one assignment (from any IPs) every try is 429 with Retry-After, the right passphrase too, and it is audited", async () => {
    const g = await guarded("pp-assignment");
    for (let i = 0; i < 5; i++) {
      const wrong = await g.tryWith(`wrong guess ${i}`, `10.1.0.${i + 1}`);
      expect(expectError(wrong, 403, "permission_denied").details?.reason).toBe("passphrase_invalid");
    }
    const locked = await g.tryWith(PASSPHRASE, "10.1.0.99");
    expect(expectError(locked, 429, "rate_limited").details?.reason).toBe("passphrase_locked");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    const audited = await waitFor(
      async () => {
        const reasons = await deniedEvents(g.recipientId);
        return reasons.includes("passphrase_locked") ? reasons : undefined;
      },
      { timeoutMs: 15_000, description: "the audited passphrase_locked refusal" },
    );
    expect(audited.filter((r) => r === "passphrase_invalid")).toHaveLength(5);

    s.advance(16 * 60_000);
    const after = await g.tryWith(PASSPHRASE, "10.1.0.99");
    expect(after.status, JSON.stringify(after.body)).toBe(201);
  }, 60_000);

  it("a burst of concurrent wrong passphrases gets no more than 5 checked (review finding: a lock reset the count, so each burst got five fresh guesses)", async () => {
    const g = await guarded("pp-burst");
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) => g.tryWith(`burst guess ${i}`, `10.3.${i >> 4}.${(i % 16) + 1}`)),
    );
    const statuses = answers.map((a) => `${a.status} ${reason(a)}`);
    expect(
      statuses.filter((x) => x === "403 passphrase_invalid").length,
      statuses.join(", "),
    ).toBeLessThanOrEqual(5);
    expect(
      statuses.every((x) => x === "403 passphrase_invalid" || x === "429 passphrase_locked"),
      statuses.join(", "),
    ).toBe(true);
    const after = await g.tryWith(PASSPHRASE, "10.3.9.9");
    expect(after.status, JSON.stringify(after.body)).toBe(429);
  }, 60_000);

  it("passphrases cannot be guessed without limit: after 10 wrong tries from one IP (across assignments) that IP is refused with 429, other IPs are not — and a forged first X-Forwarded-For entry does not make a new IP (review finding)", async () => {
    const targets = [await guarded("pp-ip-1"), await guarded("pp-ip-2"), await guarded("pp-ip-3")];
    const ip = "10.2.0.1";
    let tries = 0;
    for (const g of targets) {
      for (let i = 0; i < 4 && tries < 10; i++, tries++) {
        // the client writes the first entry; the proxy appends the address it saw (the one that counts)
        const wrong = await g.tryWith(`wrong guess ${tries}`, `203.0.113.${tries + 1}, ${ip}`);
        expect(wrong.status, JSON.stringify(wrong.body)).toBe(403);
      }
    }
    const last = targets[2]!;
    const locked = await last.tryWith(PASSPHRASE, `203.0.113.99, ${ip}`);
    expect(expectError(locked, 429, "rate_limited").details?.reason).toBe("passphrase_locked");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    const elsewhere = await last.tryWith(PASSPHRASE, "10.2.0.2");
    expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(201);
  }, 90_000);

  it("REST refuses a 4-character passphrase with the same rule as grant@1", async () => {
    const api = s.client();
    const caps = await api.listCapabilities();
    const grant = caps.items.find((c) => c.uses === "grant@1");
    // grant@1's config schema (a JSON Schema document) states the rule REST applies
    const min = 8;
    expect(grant?.configSchema).toMatchObject({ properties: { passphrase: { minLength: min } } });

    const bundle = await api.createBundle({ body: { name: "pp-rule" } });
    const recipient = await api.createRecipient({ body: { email: "pp-rule@example.com" } });
    const assign = (passphrase: string) =>
      api.raw.createAssignment({
        params: { id: bundle.id },
        body: { recipientId: recipient.id, passphrase },
      });
    for (const short of ["abcd", "x".repeat(min - 1)]) {
      expectError(await assign(short), 422, "validation_failed");
    }
    const ok = await assign("x".repeat(min));
    if (!ok.ok) throw new Error(ok.body.error.message);
    expect(ok.status).toBe(201);
    const changed = await api.raw.updateAssignment({
      params: { id: ok.body.id },
      body: { passphrase: "abcd" },
    });
    expectError(changed, 422, "validation_failed");
  });
});
