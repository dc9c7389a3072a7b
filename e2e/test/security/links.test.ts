import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchBytes, releasedBundle } from "../files/helpers.js";
import { expectError, parseJson } from "../http.js";
import { MODES, type Stack, startStack } from "../stack.js";

/**
 * Publish links (GET /s/{token}): every response that starts at byte 0 is a use; a range that starts later
 * is free only within the bytes of a use already counted. ADR 015.
 */

const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 17 + seed) & 0xff));

/** `fetchBytes` of a publish link as any client sends it (Range, If-Range by hand), with an HttpResult. */
async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetchBytes(url, headers);
  const text = res.body.toString("utf8");
  return { ...res, json: { status: res.status, headers: res.headers, body: parseJson(text), text } };
}

describe.each(MODES)("publish links on %s + %s", (dialect, bus) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "sec_links");
  });
  afterAll(async () => {
    await s?.stop();
  });

  /** A published bundle with a link of `maxUses`; `uses()` reads the link's counter. */
  async function published(name: string, maxUses: number) {
    const r = await releasedBundle(s, name, [{ name: "p.bin", data: bytes(50_000, maxUses) }]);
    const api = s.client();
    const params = { id: r.bundleId };
    const { url, link } = await api.createPublishLink({ params, body: { expiresInSeconds: 3600, maxUses } });
    const uses = async () =>
      (await api.listPublishLinks({ params })).items.find((l) => l.id === link.id)!.uses;
    return { url, uses };
  }

  const usedUp = (r: Awaited<ReturnType<typeof get>>) => {
    expect(expectError(r.json, 403, "permission_denied").details?.reason).toBe("link_used_up");
  };

  it("maxUses is not bypassed with Range: bytes=1- plus a non-matching If-Range (served from byte 0, it is a use)", async () => {
    const l = await published("if-range bypass", 1);
    const sneaky = await get(l.url, { range: "bytes=1-", "if-range": '"not-the-etag"' });
    expect(sneaky.status).toBe(200);
    expect(await l.uses()).toBe(1);
    usedUp(await get(l.url));
    usedUp(await get(l.url, { range: "bytes=1-", "if-range": '"not-the-etag"' }));
  });

  it("a HEAD request is not a use", async () => {
    const l = await published("head probe", 1);
    const head = await fetch(l.url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(50_000);
    expect(await l.uses()).toBe(0);
    expect((await get(l.url)).status).toBe(200);
    usedUp(await get(l.url));
  });

  it("a Range that is not valid falls back to the whole archive and is a use", async () => {
    const l = await published("invalid range", 1);
    expect((await get(l.url, { range: "bytes=abc" })).status).toBe(200);
    expect(await l.uses()).toBe(1);
    usedUp(await get(l.url, { range: "items=0-" }));
  });

  it("a valid partial request within a counted use is free", async () => {
    const l = await published("resume free", 1);
    const head = await get(l.url, { range: "bytes=0-999" });
    expect(head.status).toBe(206);
    expect(await l.uses()).toBe(1);
    const tail = await get(l.url, { range: "bytes=1000-", "if-range": head.headers.get("etag")! });
    expect(tail.status).toBe(206);
    expect(await l.uses()).toBe(1);
    usedUp(await get(l.url));
  });

  it("a partial request is not free before any use is counted, nor beyond the bytes of the counted uses", async () => {
    const l = await published("no free ranges", 1);
    expect((await get(l.url, { range: "bytes=1-" })).status).toBe(206);
    expect(await l.uses()).toBe(1);
    usedUp(await get(l.url, { range: "bytes=0-" }));
    usedUp(await get(l.url, { range: "bytes=1-" }));

    const m = await published("ranges after a whole download", 1);
    expect((await get(m.url)).status).toBe(200);
    usedUp(await get(m.url, { range: "bytes=1-" }));
  });
});
