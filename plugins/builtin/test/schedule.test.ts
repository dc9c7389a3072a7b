import { createTestHost } from "@latchflow/plugin-sdk/node";
import { beforeAll, describe, expect, it } from "vitest";
import { buildBuiltin, run, triggerIn } from "./helpers.js";

let code: string;
beforeAll(async () => {
  code = await buildBuiltin("schedule");
});

const CAP = "schedule@1";
const AT = "2030-06-15T18:30:00+02:00";
const AT_Z = "2030-06-15T16:30:00.000Z";

const arm = (host: ReturnType<typeof createTestHost>, now: string, at = AT) =>
  run(code, CAP, triggerIn(CAP, { type: "arm" }, { at }, now), host.host);
const timer = (host: ReturnType<typeof createTestHost>, now: string, at = AT) =>
  run(code, CAP, triggerIn(CAP, { type: "timer", key: "at", dueAt: AT_Z }, { at }, now), host.host);

describe("schedule@1", () => {
  it("arm sets one timer at the instant (normalised to UTC)", async () => {
    const host = createTestHost();
    expect(await arm(host, "2030-01-01T00:00:00Z")).toEqual({ timers: [{ key: "at", at: AT_Z }] });
    expect(host.emits).toEqual([]);
  });

  it("fires once on time, and never again: not on a second delivery, not after re-arming", async () => {
    const host = createTestHost();
    expect(await timer(host, "2030-06-15T16:30:00.200Z")).toEqual({ timers: [] });
    expect(host.emits).toEqual([{ kind: "fired", payload: { scheduledAt: AT_Z, late: false } }]);
    expect(await timer(host, "2030-06-15T16:30:01.000Z")).toEqual({ timers: [] });
    expect(await arm(host, "2030-06-15T17:00:00Z")).toEqual({ timers: [] });
    expect(await timer(host, "2030-06-15T17:00:00Z")).toEqual({ timers: [] });
    expect(host.emits).toHaveLength(1);
  });

  it("status: the instant, and whether it fired", async () => {
    const host = createTestHost();
    const status = () => run(code, CAP, triggerIn(CAP, { type: "status" }, { at: AT }, AT_Z), host.host);
    expect(await status()).toEqual({ response: { status: 200, body: { at: AT_Z, fired: false } } });
    await timer(host, "2030-06-15T16:30:00.200Z");
    expect(await status()).toEqual({
      response: { status: 200, body: { at: AT_Z, fired: true, firedAt: "2030-06-15T16:30:00.200Z" } },
    });
  });

  it("fires late (late: true) when the kernel was down at the instant", async () => {
    const host = createTestHost();
    await timer(host, "2030-06-15T20:00:00Z");
    expect(host.emits).toEqual([{ kind: "fired", payload: { scheduledAt: AT_Z, late: true } }]);
  });

  it("a date already past at arm is due at once and fires on that timer", async () => {
    const host = createTestHost();
    expect(await arm(host, "2030-07-01T00:00:00Z")).toEqual({ timers: [{ key: "at", at: AT_Z }] });
    await timer(host, "2030-07-01T00:00:00.050Z");
    expect(host.emits).toEqual([{ kind: "fired", payload: { scheduledAt: AT_Z, late: true } }]);
  });

  it("a timer delivered before the instant does not fire and re-sets the timer", async () => {
    const host = createTestHost();
    expect(await timer(host, "2030-06-15T16:00:00Z")).toEqual({ timers: [{ key: "at", at: AT_Z }] });
    expect(host.emits).toEqual([]);
  });

  it("changing `at` after firing schedules a new single firing", async () => {
    const host = createTestHost();
    await timer(host, "2030-06-15T16:30:00Z");
    const next = "2030-06-16T09:00:00Z";
    expect(await arm(host, "2030-06-15T17:00:00Z", next)).toEqual({
      timers: [{ key: "at", at: "2030-06-16T09:00:00.000Z" }],
    });
    await run(
      code,
      CAP,
      triggerIn(CAP, { type: "timer", key: "at", dueAt: "2030-06-16T09:00:00.000Z" }, { at: next }, next),
      host.host,
    );
    expect(host.emits).toHaveLength(2);
  });

  it("refuses an `at` that is not a date-time", async () => {
    await expect(arm(createTestHost(), "2030-01-01T00:00:00Z", "tomorrow")).rejects.toMatchObject({
      code: "plugin_error",
      message: expect.stringContaining("at is not a date-time"),
    });
  });
});
