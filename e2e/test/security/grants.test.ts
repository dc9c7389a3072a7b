import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fetchBytes,
  grantDownload,
  type Limits,
  recipientBrowser,
  releasedBundle,
  sessionOf,
  sha256,
} from "../files/helpers.js";
import { expectError, parseJson } from "../http.js";
import { type Browser, MODES, type Stack, startStack } from "../stack.js";

/**
 * Download grants (GET /dl/{token}): a grant is ONE logical download, for the session that obtained it,
 * and only while everything it depends on still allows it. ADR 015.
 */

const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + seed * 7 + (i >> 9)) & 0xff));

/**
 * `fetchBytes` of a grant URL as a browser or download manager sends it (cookies, Range, If-Range by hand), with
 * an HttpResult for expectError.
 */
async function get(url: string, headers: Record<string, string>) {
  const res = await fetchBytes(url, headers);
  const text = res.body.toString("utf8");
  return { ...res, text, json: { status: res.status, headers: res.headers, body: parseJson(text), text } };
}

describe.each(MODES)("download grants on %s + %s", (dialect, bus) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "sec_grants");
  });
  afterAll(async () => {
    await s?.stop();
  });

  /** A recipient signed in to the portal with a fresh grant of a bundle of `size` bytes. */
  async function granted(name: string, size = 300_000, limits: Limits = {}) {
    const r = await releasedBundle(s, name, [{ name: "data.bin", data: bytes(size, size % 97) }], limits);
    const browser = await recipientBrowser(s, r.email);
    const grant = async (b: Browser = browser) => (await grantDownload(b, r.bundleId)).url;
    return { ...r, browser, session: sessionOf(browser), url: await grant(), grant };
  }

  it("a grant URL is not an unlimited download: after one full download a second full GET is refused", async () => {
    const g = await granted("once-only");
    // a HEAD probe (download managers send one) takes nothing from the grant
    expect((await fetch(g.url, { method: "HEAD", headers: g.session })).status).toBe(200);
    const first = await get(g.url, g.session);
    expect(first.status).toBe(200);
    const second = await get(g.url, g.session);
    expect(expectError(second.json, 403, "permission_denied").details?.reason).toBe("grant_exhausted");
    // nor is it served again piece by piece
    const rest = await get(g.url, { ...g.session, range: "bytes=1-" });
    expectError(rest.json, 403, "permission_denied");
  });

  it("resume with Range after a partial download works and the bytes match a whole download", async () => {
    const g = await granted("resume");
    const whole = await get(await g.grant(), g.session);
    expect(whole.status).toBe(200);
    const cut = 123_457;
    const head = await get(g.url, { ...g.session, range: `bytes=0-${cut - 1}` });
    expect(head.status).toBe(206);
    // a resume that re-fetches a little overlap is still free
    const overlap = await get(g.url, { ...g.session, range: `bytes=${cut - 1000}-${cut - 1}` });
    expect(overlap.status).toBe(206);
    const tail = await get(g.url, {
      ...g.session,
      range: `bytes=${cut}-`,
      "if-range": head.headers.get("etag")!,
    });
    expect(tail.status).toBe(206);
    expect(sha256(Buffer.concat([head.body, tail.body]))).toBe(sha256(whole.body));
  });

  it("an interrupted full download resumes: bytes never sent are given back to the grant", async () => {
    // big enough that what the sockets took before the client went away (counted as sent: up to a few MB on
    // loopback, where the byte path now fills them at once) fits the 25% resume allowance (ADR 015)
    const g = await granted("interrupted", 24_000_000);
    const controller = new AbortController();
    const res = await fetch(g.url, { headers: g.session, signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const received: Buffer[] = [];
    let got = 0;
    while (got < 100_000) {
      const chunk = await reader.read();
      if (chunk.done) break;
      received.push(Buffer.from(chunk.value));
      got += chunk.value.length;
    }
    controller.abort();
    await reader.cancel().catch(() => undefined);
    const total = Number(res.headers.get("content-length"));
    expect(got).toBeLessThan(total);
    // the give-back lands when the gateway sees the stream close (a loaded machine may take seconds)
    let tail: Awaited<ReturnType<typeof get>>;
    const until = Date.now() + 20_000;
    do {
      tail = await get(g.url, { ...g.session, range: `bytes=${got}-`, "if-range": res.headers.get("etag")! });
      if (tail.status === 206) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < until);
    expect(tail.status, `the last resume's answer: ${tail.status} ${tail.text.slice(0, 300)}`).toBe(206);
    expect(Buffer.concat([...received, tail.body]).length).toBe(total);
  }, 60_000);

  it("parallel range requests of a download manager share the one download", async () => {
    const g = await granted("segments", 400_000);
    const total = Number(
      (await get(g.url, { ...g.session, range: "bytes=0-0" })).headers.get("content-range")!.split("/")[1],
    );
    const quarter = Math.ceil(total / 4);
    const parts = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        get(g.url, { ...g.session, range: `bytes=${i * quarter}-${Math.min(total, (i + 1) * quarter) - 1}` }),
      ),
    );
    expect(parts.map((p) => p.status)).toEqual([206, 206, 206, 206]);
    expect(Buffer.concat(parts.map((p) => p.body)).length).toBe(total);
    expect((await get(g.url, g.session)).status).toBe(403);
  });

  describe("revocation takes effect at the next request", () => {
    const cases: [string, string, (g: Awaited<ReturnType<typeof granted>>) => Promise<void>][] = [
      [
        "disabled assignment",
        "assignment_disabled",
        async (g) => {
          const r = await s
            .client()
            .updateAssignment({ params: { id: g.assignmentId }, body: { enabled: false } });
          expect(r.enabled).toBe(false);
        },
      ],
      [
        "deleted assignment",
        "assignment_deleted",
        async (g) => {
          const r = await s.client().deleteAssignment({ params: { id: g.assignmentId } });
          expect(r.id).toBe(g.assignmentId);
        },
      ],
      [
        "closed window",
        "window_closed",
        async (g) => {
          const notAfter = new Date(Date.now() - 60_000).toISOString();
          const r = await s.client().updateAssignment({ params: { id: g.assignmentId }, body: { notAfter } });
          expect(r.notAfter).toBe(notAfter);
        },
      ],
      [
        "disabled bundle",
        "bundle_disabled",
        async (g) => {
          const r = await s.client().updateBundle({ params: { id: g.bundleId }, body: { enabled: false } });
          expect(r.enabled).toBe(false);
        },
      ],
    ];
    it.each(cases)("%s → the grant's next request is refused", async (name, why, revoke) => {
      const g = await granted(`revoke ${name}`);
      expect((await get(g.url, { ...g.session, range: "bytes=0-999" })).status).toBe(206);
      await revoke(g);
      const next = await get(g.url, { ...g.session, range: "bytes=1000-" });
      expect(expectError(next.json, 403, "permission_denied").details?.reason).toBe(why);
    });

    it("disabled recipient → the grant's next request is refused", async () => {
      const g = await granted("revoke recipient");
      expect((await get(g.url, { ...g.session, range: "bytes=0-999" })).status).toBe(206);
      const r = await s.client().updateRecipient({ params: { id: g.recipientId }, body: { enabled: false } });
      expect(r.enabled).toBe(false);
      const next = await get(g.url, { ...g.session, range: "bytes=1000-" });
      expectError(next.json, 401, "unauthenticated");
    });
  });

  it("a grant is bound to the recipient session that obtained it: no session or another session is refused", async () => {
    const g = await granted("bound");
    const none = await get(g.url, {});
    expectError(none.json, 401, "unauthenticated");
    s.advance(61_000); // past the one-code-per-minute resend throttle
    const sameRecipientOtherSession = await recipientBrowser(s, g.email);
    const other = await get(g.url, sessionOf(sameRecipientOtherSession));
    expect(expectError(other.json, 403, "permission_denied").details?.reason).toBe("grant_other_session");
    const stranger = await granted("someone else");
    const theirs = await get(g.url, stranger.session);
    expect(expectError(theirs.json, 403, "permission_denied").details?.reason).toBe("grant_other_session");
    // the session that obtained it still downloads, once
    expect((await get(g.url, g.session)).status).toBe(200);
  });
});
