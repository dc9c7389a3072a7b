import { waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recipientBrowser, releasedBundle } from "../files/helpers.js";
import { http } from "../http.js";
import { type Browser, MODES, OWNER_TOKEN, type Stack, startStack } from "../stack.js";

const PASSPHRASE = "correct horse battery";
const data = Buffer.from("a letter for later");

interface ErrorBody {
  error: { code: string; details?: { reason?: string } };
}
const reason = (res: { body: unknown }) => (res.body as ErrorBody).error?.details?.reason;

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
    const browser: Browser = await recipientBrowser(s, r.email);
    const tryWith = (passphrase: string, ip: string) =>
      browser.request("POST", `/api/v1/portal/bundles/${r.bundleId}/downloads`, {
        json: { passphrase },
        csrf: "recipient",
        headers: { "x-forwarded-for": ip },
      });
    return { ...r, tryWith };
  }

  async function deniedEvents(recipientId: string) {
    const res = await http(s.base, "GET", "/api/v1/audit?type=bundles.download.denied&limit=200", {
      token: OWNER_TOKEN,
    });
    const items = (res.body as { items: { data: { recipientId: string; reason: string } }[] }).items;
    return items.filter((e) => e.data.recipientId === recipientId).map((e) => e.data.reason);
  }

  it("passphrases cannot be guessed without limit: after 5 wrong tries on one assignment (from any IPs) every try is 429 with Retry-After, the right passphrase too, and it is audited", async () => {
    const g = await guarded("pp-assignment");
    for (let i = 0; i < 5; i++) {
      const wrong = await g.tryWith(`wrong guess ${i}`, `10.1.0.${i + 1}`);
      expect(wrong.status, wrong.text).toBe(403);
      expect(reason(wrong)).toBe("passphrase_invalid");
    }
    const locked = await g.tryWith(PASSPHRASE, "10.1.0.99");
    expect(locked.status, locked.text).toBe(429);
    expect((locked.body as ErrorBody).error.code).toBe("rate_limited");
    expect(reason(locked)).toBe("passphrase_locked");
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
    expect(after.status, after.text).toBe(201);
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
    expect(after.status, after.text).toBe(429);
  }, 60_000);

  it("passphrases cannot be guessed without limit: after 10 wrong tries from one IP (across assignments) that IP is refused with 429, other IPs are not — and a forged first X-Forwarded-For entry does not make a new IP (review finding)", async () => {
    const targets = [await guarded("pp-ip-1"), await guarded("pp-ip-2"), await guarded("pp-ip-3")];
    const ip = "10.2.0.1";
    let tries = 0;
    for (const g of targets) {
      for (let i = 0; i < 4 && tries < 10; i++, tries++) {
        // the client writes the first entry; the proxy appends the address it saw (the one that counts)
        const wrong = await g.tryWith(`wrong guess ${tries}`, `203.0.113.${tries + 1}, ${ip}`);
        expect(wrong.status, wrong.text).toBe(403);
      }
    }
    const last = targets[2]!;
    const locked = await last.tryWith(PASSPHRASE, `203.0.113.99, ${ip}`);
    expect(locked.status, locked.text).toBe(429);
    expect(reason(locked)).toBe("passphrase_locked");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    const elsewhere = await last.tryWith(PASSPHRASE, "10.2.0.2");
    expect(elsewhere.status, elsewhere.text).toBe(201);
  }, 90_000);

  it("REST refuses a 4-character passphrase with the same rule as grant@1", async () => {
    const caps = await s.api("GET", "/api/v1/capabilities");
    const grant = (
      caps.body as {
        items: { uses: string; configSchema: { properties: { passphrase: { minLength: number } } } }[];
      }
    ).items.find((c) => c.uses === "grant@1");
    const min = grant!.configSchema.properties.passphrase.minLength;
    expect(min).toBe(8);

    const bundle = (await s.api("POST", "/api/v1/bundles", { json: { name: "pp-rule" } })).body as {
      id: string;
    };
    const recipient = (await s.api("POST", "/api/v1/recipients", { json: { email: "pp-rule@example.com" } }))
      .body as { id: string };
    const assign = (passphrase: string) =>
      s.api("POST", `/api/v1/bundles/${bundle.id}/assignments`, {
        json: { recipientId: recipient.id, passphrase },
      });
    for (const short of ["abcd", "x".repeat(min - 1)]) {
      const res = await assign(short);
      expect(res.status, res.text).toBe(422);
      expect((res.body as ErrorBody).error.code).toBe("validation_failed");
    }
    const ok = await assign("x".repeat(min));
    expect(ok.status, ok.text).toBe(201);
    const changed = await s.api("PATCH", `/api/v1/assignments/${(ok.body as { id: string }).id}`, {
      json: { passphrase: "abcd" },
    });
    expect(changed.status, changed.text).toBe(422);
  });
});
