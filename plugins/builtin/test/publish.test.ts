import { createTestHost } from "@latchflow/plugin-sdk/node";
import type { JsonObject } from "@latchflow/sandbox";
import { beforeAll, describe, expect, it } from "vitest";
import { actionIn, buildBuiltin, run } from "./helpers.js";

let code: string;
beforeAll(async () => {
  code = await buildBuiltin("publish");
});

describe("publish@1", () => {
  it("asks the host for a link expiring expiresIn from now and returns its outputs", async () => {
    const requests: JsonObject[] = [];
    const record = createTestHost({
      overrides: {
        links: {
          publish: async (request) => {
            requests.push(request);
            return {
              url: "https://dl.example.com/l/tok",
              expiresAt: request.expiresAt as string,
              linkId: "lnk_1",
              extra: 1,
            };
          },
        },
      },
    });
    const input = actionIn(
      { bundle: "family-archive", expiresIn: "48h", maxUses: 5 },
      { now: "2030-01-02T03:04:05.000Z" },
    );
    expect(await run(code, "publish@1", input, record.host)).toEqual({
      url: "https://dl.example.com/l/tok",
      expiresAt: "2030-01-04T03:04:05.000Z",
      linkId: "lnk_1",
    });
    expect(requests).toEqual([
      {
        bundle: "family-archive",
        expiresAt: "2030-01-04T03:04:05.000Z",
        maxUses: 5,
        idempotencyKey: "run-1:step-1",
      },
    ]);
  });

  it("defaults maxUses to 0 (unlimited) and accepts ISO durations", async () => {
    const requests: JsonObject[] = [];
    const links = {
      publish: async (request: JsonObject) => {
        requests.push(request);
        return { url: "u", expiresAt: "e", linkId: "l" };
      },
    };
    await run(
      code,
      "publish@1",
      actionIn({ bundle: "b", expiresIn: "P7D" }),
      createTestHost({ overrides: { links } }).host,
    );
    expect(requests[0]).toMatchObject({ maxUses: 0, expiresAt: "2030-01-09T00:00:00.000Z" });
  });

  it("fails on an unexpected host result; a host error keeps its code and retryable", async () => {
    const odd = createTestHost({ overrides: { links: { publish: async () => ({ url: 1 }) } } });
    await expect(
      run(code, "publish@1", actionIn({ bundle: "b", expiresIn: "1d" }), odd.host),
    ).rejects.toMatchObject({
      code: "plugin_error",
      message: expect.stringContaining("unexpected result"),
    });
    const down = createTestHost({
      overrides: {
        links: {
          publish: async () => {
            throw Object.assign(new Error("bundles service down"), { code: "unavailable", retryable: true });
          },
        },
      },
    });
    await expect(
      run(code, "publish@1", actionIn({ bundle: "b", expiresIn: "1d" }), down.host),
    ).rejects.toMatchObject({
      code: "plugin_error",
      retryable: true,
      details: { hostCode: "unavailable" },
    });
  });
});
