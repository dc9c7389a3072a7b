import { gzipSync } from "node:zlib";
import {
  CAPABILITY_NAME_MESSAGE,
  PLUGIN_API_VERSION,
  SUPPORTED_PLUGIN_API_VERSIONS,
} from "@latchflow/plugin-sdk";
import { tar } from "@latchflow/plugin-sdk/node";
import { describe, expect, it } from "vitest";
import { fetchFromRegistry, readPackage } from "./packages.js";

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

describe("reading a package: the capability naming rule", () => {
  const manifest = (key: string, name = "latchflow-plugin-x") => ({
    name,
    version: "1.0.0",
    apiVersion: PLUGIN_API_VERSION,
    capabilities: [
      { kind: "action", key, major: 1, configSchema: { type: "object" }, outputsSchema: {}, docs: "" },
    ],
    permissions: [],
  });
  const tarball = (m: unknown) =>
    gzipSync(
      tar([
        { name: "package/latchflow-plugin.json", data: Buffer.from(JSON.stringify(m)) },
        { name: "package/plugin.js", data: Buffer.from("globalThis.plugin = { capabilities: {} };") },
      ]),
    );

  it("installs a key that follows it", () => {
    expect(readPackage(tarball(manifest("upper")), 1 << 20).manifest.capabilities[0]).toMatchObject({
      key: "upper",
    });
  });

  it.each([
    ["x/upper", "a slash"],
    ["Upper", "uppercase"],
    ["u".repeat(65), "longer than 64"],
  ])("refuses the key %j (%s) with validation_failed and the rule's message", (key, why) => {
    const err = (() => {
      try {
        readPackage(tarball(manifest(key)), 1 << 20);
      } catch (e) {
        return e as { code: string; message: string };
      }
    })();
    expect(err?.code).toBe("validation_failed");
    expect(err?.message).toContain(why);
    expect(err?.message).toContain(CAPABILITY_NAME_MESSAGE);
  });

  it("refuses a package name whose plugin part breaks the rule", () => {
    expect(() => readPackage(tarball(manifest("upper", "@acme/x.y")), 1 << 20)).toThrow(
      CAPABILITY_NAME_MESSAGE,
    );
  });
});

describe("reading a package: the plugin API compatibility rule (ADR 040)", () => {
  const tarball = (apiVersion: unknown) =>
    gzipSync(
      tar([
        {
          name: "package/latchflow-plugin.json",
          data: Buffer.from(
            JSON.stringify({
              name: "latchflow-plugin-x",
              version: "1.0.0",
              ...(apiVersion === undefined ? {} : { apiVersion }),
              capabilities: [
                { kind: "action", key: "upper", major: 1, configSchema: {}, outputsSchema: {}, docs: "" },
              ],
              permissions: [],
            }),
          ),
        },
        { name: "package/plugin.js", data: Buffer.from("globalThis.plugin = { capabilities: {} };") },
      ]),
    );
  const refusal = (apiVersion: unknown) => {
    try {
      readPackage(tarball(apiVersion), 1 << 20);
    } catch (e) {
      return e as { code: string; message: string; details?: Record<string, unknown> };
    }
    throw new Error("installed");
  };

  it("accepts every version it supports: the SDK's own", () => {
    expect(SUPPORTED_PLUGIN_API_VERSIONS).toEqual([PLUGIN_API_VERSION]);
    expect(readPackage(tarball(PLUGIN_API_VERSION), 1 << 20).manifest.apiVersion).toBe(PLUGIN_API_VERSION);
  });

  it.each([
    ["a newer API", "latchflow.dev/plugins/v2"],
    ["an older API", "latchflow.dev/plugins/v0"],
    ["another API", "example.com/plugins/v1"],
    ["no apiVersion", undefined],
    ["a number", 1],
  ])("refuses %s with validation_failed, naming the supported versions and the SDK to build with", (_, v) => {
    const err = refusal(v);
    expect(err.code).toBe("validation_failed");
    expect(err.details).toEqual({
      field: "apiVersion",
      apiVersion: v ?? null,
      supported: [PLUGIN_API_VERSION],
    });
    expect(err.message).toBe(
      `latchflow-plugin.json: apiVersion ${JSON.stringify(v ?? null)} is not supported ` +
        `(supported: ${PLUGIN_API_VERSION}); build the plugin with @latchflow/plugin-sdk 1.x`,
    );
  });
});
