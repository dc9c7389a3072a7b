import { describe, expect, it } from "vitest";
import { fetchFromRegistry } from "./packages.js";

const limits = { maxBytes: 1024, maxDocumentBytes: 64 * 1024, timeoutMs: 1000 };

/** A registry answer streamed in 16 KiB chunks, with or without a Content-Length. */
function answer(size: number, announce: boolean): Response {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close();
      const n = Math.min(16 * 1024, size - sent);
      sent += n;
      controller.enqueue(new Uint8Array(n).fill(0x20));
    },
  });
  return new Response(body, { headers: announce ? { "content-length": String(size) } : {} });
}

describe("registry package documents", () => {
  it.each([
    ["announced", true],
    ["chunked", false],
  ])(
    "a package document over the limit (%s) is refused with payload_too_large, not buffered whole",
    async (_what, announce) => {
      let read = 0;
      const get = (async () => {
        const res = answer(10 * 1024 * 1024, announce);
        const reader = res.body!.getReader();
        const counted = new ReadableStream<Uint8Array>({
          async pull(controller) {
            const { done, value } = await reader.read();
            if (done) return controller.close();
            read += value.byteLength;
            controller.enqueue(value);
          },
        });
        return new Response(counted, { headers: res.headers });
      }) as unknown as typeof fetch;
      await expect(
        fetchFromRegistry("some-plugin", "https://registry.example", get, limits),
      ).rejects.toMatchObject({
        code: "payload_too_large",
      });
      // stops at the limit (plus what the stream reads ahead), far below the 10 MiB offered
      expect(read).toBeLessThan(2 * limits.maxDocumentBytes);
    },
  );

  it("a document that is not JSON is a registry failure, not a 500", async () => {
    const get = (async () => new Response("<html>")) as unknown as typeof fetch;
    await expect(
      fetchFromRegistry("some-plugin", "https://registry.example", get, limits),
    ).rejects.toMatchObject({
      code: "unavailable",
    });
  });
});
