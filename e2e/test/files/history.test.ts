import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "../http.js";
import { type Browser, MODES, type Stack, startStack } from "../stack.js";
import { fetchBytes, grantDownload, recipientBrowser, releasedBundle, sessionOf, sha256 } from "./helpers.js";

/**
 * Download history (GET /api/v1/portal/downloads): each grant with the archive's size, the bytes delivered and
 * when its last byte was delivered. Completion is set only when a response finished writing the archive's
 * last byte, not when it was merely reserved (ADR 015, ADR 026).
 */

const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 197 + seed * 11 + (i >> 10)) & 0xff));

const until = async <T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe.each(MODES)("download history on %s + %s", (dialect, bus) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "history");
  });
  afterAll(async () => {
    await s?.stop();
  });

  async function granted(name: string, size: number) {
    const r = await releasedBundle(s, name, [{ name: "data.bin", data: bytes(size, size % 89) }], {
      maxDownloads: 3,
    });
    const browser = await recipientBrowser(s, r.email);
    const grant = await grantDownload(browser, r.bundleId);
    return { ...r, browser, session: sessionOf(browser), url: grant.url };
  }

  const history = async (browser: Browser) =>
    (await browser.client("recipient").listPortalDownloads({ query: {} })).items;
  const used = async (assignmentId: string, bundleId: string) => {
    const list = await s.client().listAssignments({ params: { id: bundleId } });
    return list.items.find((a) => a.id === assignmentId)?.used;
  };

  it("a full download is completed, with its size and every byte counted", async () => {
    const g = await granted("history whole", 200_000);
    const before = await history(g.browser);
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({ bundleId: g.bundleId, bytesSent: 0, completedAt: null });
    const whole = await fetchBytes(g.url, g.session);
    expect(whole.status).toBe(200);
    const [item] = await until(
      () => history(g.browser),
      (items) => items[0]?.completedAt !== null,
    );
    expect(item).toMatchObject({ size: whole.body.length, bytesSent: whole.body.length, deviceName: null });
    expect(Date.parse(item!.completedAt!)).toBeGreaterThanOrEqual(Date.parse(item!.grantedAt));
  });

  it("an interrupted download is not completed; resuming with Range completes it with the same bytes and no new download", async () => {
    // big enough that what the sockets took before the client went away (counted as sent: up to a few MB on
    // loopback, where the byte path now fills them at once) fits the 25% resume allowance (ADR 015)
    const g = await granted("history interrupted", 24_000_000);
    const controller = new AbortController();
    const res = await fetch(g.url, { headers: g.session, signal: controller.signal });
    expect(res.status).toBe(200);
    const total = Number(res.headers.get("content-length"));
    const reader = res.body!.getReader();
    const received: Buffer[] = [];
    let got = 0;
    while (got < 200_000) {
      const chunk = await reader.read();
      if (chunk.done) break;
      received.push(Buffer.from(chunk.value));
      got += chunk.value.length;
    }
    controller.abort();
    await reader.cancel().catch(() => undefined);
    expect(got).toBeLessThan(total);

    // the give-back of the unsent bytes lands when the gateway sees the stream close
    const [cut] = await until(
      () => history(g.browser),
      (items) => (items[0]?.bytesSent ?? total) < total,
    );
    expect(cut).toMatchObject({ size: total, completedAt: null });
    expect(cut!.bytesSent).toBeLessThan(total);
    expect(await used(g.assignmentId, g.bundleId)).toBe(1);

    const tail = await fetchBytes(g.url, {
      ...g.session,
      range: `bytes=${got}-`,
      "if-range": res.headers.get("etag")!,
    });
    expect(tail.status).toBe(206);
    const resumed = Buffer.concat([...received, tail.body]);
    // the same bytes as one uninterrupted download: the archive's own checksum over a fresh grant
    const fresh = await grantDownload(g.browser, g.bundleId);
    const whole = await fetchBytes(fresh.url, g.session);
    expect(sha256(resumed)).toBe(sha256(whole.body));

    const items = await until(
      () => history(g.browser),
      (list) => list.every((d) => d.completedAt !== null),
    );
    // newest first: the fresh grant, then the one that was interrupted and resumed
    expect(items).toHaveLength(2);
    const first = items[1];
    expect(first).toMatchObject({ size: total, bytesSent: total });
    expect(first!.completedAt).not.toBeNull();
    // the resume consumed nothing: only the fresh grant above counted a second download
    expect(await used(g.assignmentId, g.bundleId)).toBe(2);
  });

  it("a range that stops short of the last byte does not complete; a range that ends on it does", async () => {
    const g = await granted("history ranges", 300_000);
    const head = await fetchBytes(g.url, { ...g.session, range: "bytes=0-99999" });
    expect(head.status).toBe(206);
    const total = Number(head.headers.get("content-range")!.split("/")[1]);
    await new Promise((r) => setTimeout(r, 300));
    expect((await history(g.browser))[0]).toMatchObject({ completedAt: null, bytesSent: 100_000 });
    const tail = await fetchBytes(g.url, { ...g.session, range: `bytes=${total - 10}-` });
    expect(tail.status).toBe(206);
    const [item] = await until(
      () => history(g.browser),
      (items) => items[0]?.completedAt !== null,
    );
    expect(item!.completedAt).not.toBeNull();
  });

  it("another recipient's history never shows mine; no session and an admin token are refused", async () => {
    const mine = await granted("history mine", 1000);
    const theirs = await granted("history theirs", 1000);
    const list = await history(theirs.browser);
    expect(list.map((d) => d.bundleId)).toEqual([theirs.bundleId]);
    expect(list.some((d) => d.bundleId === mine.bundleId)).toBe(false);
    const none = await s.browser().request("GET", "/api/v1/portal/downloads");
    expectError(none, 401, "unauthenticated");
    expectError(await s.client().raw.listPortalDownloads({ query: {} }), 401, "unauthenticated");
  });

  it("pages newest first", async () => {
    const g = await granted("history pages", 500);
    for (let i = 0; i < 2; i++) await grantDownload(g.browser, g.bundleId);
    const client = g.browser.client("recipient");
    const one = await client.listPortalDownloads({ query: { limit: 2 } });
    expect(one.items).toHaveLength(2);
    expect(one.nextCursor).not.toBeNull();
    const two = await client.listPortalDownloads({ query: { limit: 2, cursor: one.nextCursor! } });
    expect(two.items).toHaveLength(1);
    const ids = [...one.items, ...two.items].map((d) => d.id);
    expect(ids).toEqual([...ids].sort().reverse());
  });
});
