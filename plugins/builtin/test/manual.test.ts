import { beforeAll, describe, expect, it } from "vitest";
import { buildBuiltin, run, triggerIn } from "./helpers.js";

let code: string;
beforeAll(async () => {
  code = await buildBuiltin("manual");
});

const CAP = "manual@1";
const NOW = "2030-01-01T00:00:00.000Z";

describe("manual@1 trigger", () => {
  it("sets no timers and refuses requests and controls with 405", async () => {
    expect(await run(code, CAP, triggerIn(CAP, { type: "arm" }, {}, NOW), {})).toEqual({ timers: [] });
    expect(await run(code, CAP, triggerIn(CAP, { type: "status" }, {}, NOW), {})).toEqual({});
    const request = { headers: {}, body: "{}", bodyBytes: 2, receivedAt: NOW };
    for (const event of [
      { type: "request", request },
      { type: "control", action: "check-in", actor: "u1" },
    ] as const) {
      expect(await run(code, CAP, triggerIn(CAP, event, {}, NOW), {})).toEqual({
        response: {
          status: 405,
          body: {
            error: {
              code: "not_supported",
              message: "manual runs are started with POST /api/v1/pipelines/{name}/runs",
            },
          },
        },
      });
    }
  });
});
