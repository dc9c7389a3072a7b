import { createTestHost } from "@latchflow/plugin-sdk/node";
import { beforeAll, describe, expect, it } from "vitest";
import { buildBuiltin, run, triggerIn } from "./helpers.js";

let code: string;
beforeAll(async () => {
  code = await buildBuiltin("cron");
});

const CAP = "cron@1";
const BERLIN = { timeZone: "Europe/Berlin" };

function arm(config: Record<string, unknown>, now: string, host = createTestHost().host) {
  return run(code, CAP, triggerIn(CAP, { type: "arm" }, config, now), host);
}
function tick(config: Record<string, unknown>, dueAt: string, now: string, host = createTestHost().host) {
  return run(code, CAP, triggerIn(CAP, { type: "timer", key: "tick", dueAt }, config, now), host);
}

/** Follows the timer chain from `now` for `n` ticks, firing each exactly on time. */
async function chain(config: Record<string, unknown>, from: string, n: number): Promise<string[]> {
  const record = createTestHost();
  let result = (await arm(config, from, record.host)) as { timers: { at: string }[] };
  const seen: string[] = [];
  for (let i = 0; i < n; i++) {
    const at = result.timers[0]!.at;
    seen.push(at);
    result = (await tick(config, at, at, record.host)) as { timers: { at: string }[] };
  }
  expect(record.emits.map((e) => (e as { payload: { scheduledAt: string } }).payload.scheduledAt)).toEqual(
    seen.slice(0, n),
  );
  return seen;
}

describe("cron@1", () => {
  it("arm sets one tick timer after now (UTC by default)", async () => {
    expect(await arm({ schedule: "*/15 * * * *" }, "2030-01-01T10:07:30.000Z")).toEqual({
      timers: [{ key: "tick", at: "2030-01-01T10:15:00.000Z" }],
    });
    expect(await arm({ schedule: "0 0 12 1 * *" }, "2030-01-01T12:00:00.000Z")).toEqual({
      timers: [{ key: "tick", at: "2030-02-01T12:00:00.000Z" }],
    });
  });

  it("status: the next five ticks after now", async () => {
    expect(
      await run(
        code,
        CAP,
        triggerIn(CAP, { type: "status" }, { schedule: "0 9 * * *", ...BERLIN }, "2030-01-01T10:00:00.000Z"),
        createTestHost().host,
      ),
    ).toEqual({
      response: {
        status: 200,
        body: {
          next: [
            "2030-01-02T08:00:00.000Z",
            "2030-01-03T08:00:00.000Z",
            "2030-01-04T08:00:00.000Z",
            "2030-01-05T08:00:00.000Z",
            "2030-01-06T08:00:00.000Z",
          ],
        },
      },
    });
  });

  it("time zones work inside the isolate: 09:00 Berlin is 08:00Z in winter and 07:00Z in summer", async () => {
    expect(await chain({ schedule: "0 9 * * *", ...BERLIN }, "2026-03-27T12:00:00.000Z", 3)).toEqual([
      "2026-03-28T08:00:00.000Z",
      "2026-03-29T07:00:00.000Z",
      "2026-03-30T07:00:00.000Z",
    ]);
    expect(await chain({ schedule: "0 9 * * *", ...BERLIN }, "2026-10-24T12:00:00.000Z", 2)).toEqual([
      "2026-10-25T08:00:00.000Z",
      "2026-10-26T08:00:00.000Z",
    ]);
  });

  it("spring forward: 02:30 does not exist on 2026-03-29 in Berlin, so it fires at 03:00 CEST (01:00Z)", async () => {
    expect(await chain({ schedule: "30 2 * * *", ...BERLIN }, "2026-03-28T12:00:00.000Z", 3)).toEqual([
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T00:30:00.000Z",
      "2026-03-31T00:30:00.000Z",
    ]);
    // a list of fixed times is a wall-clock schedule too: the skipped 02:30 is not dropped
    expect(await chain({ schedule: "30 2,14 * * *", ...BERLIN }, "2026-03-28T12:00:00.000Z", 3)).toEqual([
      "2026-03-28T13:30:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-29T12:30:00.000Z",
    ]);
  });

  it("fall back: 02:30 happens twice on 2026-10-25 in Berlin and fires once", async () => {
    expect(await chain({ schedule: "30 2 * * *", ...BERLIN }, "2026-10-24T12:00:00.000Z", 3)).toEqual([
      "2026-10-25T00:30:00.000Z",
      "2026-10-26T01:30:00.000Z",
      "2026-10-27T01:30:00.000Z",
    ]);
  });

  it("an on-time tick fires with missed 0 and returns the next timer", async () => {
    const record = createTestHost();
    const result = await tick(
      { schedule: "0 * * * *" },
      "2030-01-01T10:00:00.000Z",
      "2030-01-01T10:00:45.000Z",
      record.host,
    );
    expect(result).toEqual({ timers: [{ key: "tick", at: "2030-01-01T11:00:00.000Z" }] });
    expect(record.emits).toEqual([
      { kind: "fired", payload: { scheduledAt: "2030-01-01T10:00:00.000Z", missed: 0 } },
    ]);
  });

  it("the same timer delivered twice fires once", async () => {
    const record = createTestHost();
    for (let i = 0; i < 2; i++) {
      await tick(
        { schedule: "0 * * * *" },
        "2030-01-01T10:00:00.000Z",
        "2030-01-01T10:00:05.000Z",
        record.host,
      );
    }
    expect(record.emits).toHaveLength(1);
    expect(record.kv.get("lastFired")).toBe("2030-01-01T10:00:00.000Z");
  });

  describe("missed ticks (kernel down from 10:00 to 12:20)", () => {
    const due = "2030-01-01T10:00:00.000Z";
    const late = "2030-01-01T12:20:00.000Z";

    it("skip (default) drops them and only re-arms", async () => {
      const record = createTestHost();
      const result = await tick({ schedule: "0 * * * *" }, due, late, record.host);
      expect(result).toEqual({ timers: [{ key: "tick", at: "2030-01-01T13:00:00.000Z" }] });
      expect(record.emits).toEqual([]);
    });

    it("skip still fires a tick that is on time even when earlier ones were missed", async () => {
      const record = createTestHost();
      await tick({ schedule: "0 * * * *" }, due, "2030-01-01T12:00:30.000Z", record.host);
      expect(record.emits).toEqual([
        { kind: "fired", payload: { scheduledAt: "2030-01-01T12:00:00.000Z", missed: 0 } },
      ]);
    });

    it("a tick 61 s late counts as missed under skip", async () => {
      const record = createTestHost();
      await tick({ schedule: "0 * * * *" }, due, "2030-01-01T10:01:01.000Z", record.host);
      expect(record.emits).toEqual([]);
    });

    it("runOnce fires once for the latest tick, counting the ones before it", async () => {
      const record = createTestHost();
      const result = await tick({ schedule: "0 * * * *", missedRun: "runOnce" }, due, late, record.host);
      expect(result).toEqual({ timers: [{ key: "tick", at: "2030-01-01T13:00:00.000Z" }] });
      expect(record.emits).toEqual([
        { kind: "fired", payload: { scheduledAt: "2030-01-01T12:00:00.000Z", missed: 2 } },
      ]);
    });

    it("runOnce with a single late tick fires it with missed 0", async () => {
      const record = createTestHost();
      await tick(
        { schedule: "0 * * * *", missedRun: "runOnce" },
        due,
        "2030-01-01T10:30:00.000Z",
        record.host,
      );
      expect(record.emits).toEqual([
        { kind: "fired", payload: { scheduledAt: "2030-01-01T10:00:00.000Z", missed: 0 } },
      ]);
    });

    it("runOnce after a very long outage of a per-second schedule stays bounded", async () => {
      const record = createTestHost();
      await tick(
        { schedule: "* * * * * *", missedRun: "runOnce" },
        "2030-01-01T00:00:00.000Z",
        "2030-01-03T00:00:00.000Z",
        record.host,
      );
      expect(record.emits).toEqual([
        { kind: "fired", payload: { scheduledAt: "2030-01-03T00:00:00.000Z", missed: 999 } },
      ]);
    });
  });

  it("refuses an unknown time zone and an invalid schedule with a plugin error", async () => {
    await expect(
      arm({ schedule: "0 9 * * *", timeZone: "Mars/Olympus" }, "2030-01-01T00:00:00Z"),
    ).rejects.toMatchObject({ code: "plugin_error", message: expect.stringContaining("unknown time zone") });
    await expect(arm({ schedule: "61 * * * *" }, "2030-01-01T00:00:00Z")).rejects.toMatchObject({
      code: "plugin_error",
      message: expect.stringContaining("invalid cron schedule"),
    });
  });

  it("a schedule that never fires sets no timer; requests are answered 405", async () => {
    expect(await arm({ schedule: "0 0 30 2 *" }, "2030-01-01T00:00:00.000Z")).toEqual({ timers: [] });
    const request = { headers: {}, body: "", bodyBytes: 0, receivedAt: "2030-01-01T00:00:00.000Z" };
    expect(
      await run(
        code,
        CAP,
        triggerIn(CAP, { type: "request", request }, { schedule: "@daily" }, "2030-01-01T00:00:00Z"),
        {},
      ),
    ).toMatchObject({ response: { status: 405, body: { error: { code: "not_supported" } } } });
  });
});
