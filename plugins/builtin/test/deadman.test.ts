import type { ControlAction, TriggerEvent } from "@latchflow/plugin-sdk";
import { createTestHost } from "@latchflow/plugin-sdk/node";
import { beforeAll, describe, expect, it } from "vitest";
import { buildBuiltin, run, triggerIn } from "./helpers.js";

let code: string;
beforeAll(async () => {
  code = await buildBuiltin("deadman");
});

const CAP = "deadman@1";
const CONFIG = { checkInEvery: "30d", grace: "7d", remind: ["7d", "1d"] };
const T0 = "2030-01-01T00:00:00.000Z";
const DEADLINE = "2030-02-07T00:00:00.000Z";
const REMIND_7D = "2030-01-31T00:00:00.000Z";
const REMIND_1D = "2030-02-06T00:00:00.000Z";
const LINK = "https://latchflow.example/check-in/abc";

type Record = ReturnType<typeof createTestHost>;

function invoke(
  record: Record,
  event: TriggerEvent,
  now: string,
  config: object = CONFIG,
  ownerEmail = "owner@example.com",
) {
  return run(
    code,
    CAP,
    triggerIn(CAP, event, config as never, now, {
      pipeline: { name: "family-legacy", version: 1, ownerEmail },
    }),
    record.host,
  );
}
const arm = (r: Record, now: string, config?: object) => invoke(r, { type: "arm" }, now, config);
const timer = (r: Record, key: string, dueAt: string, now = dueAt, config?: object) =>
  invoke(r, { type: "timer", key, dueAt }, now, config);
const control = (r: Record, action: ControlAction, now: string, until?: string, config?: object) =>
  invoke(r, { type: "control", action, actor: "user-1", ...(until ? { until } : {}) }, now, config);

const LADDER = {
  timers: [
    { key: "remind:7d", at: REMIND_7D },
    { key: "remind:1d", at: REMIND_1D },
    { key: "deadline", at: DEADLINE },
  ],
};

describe("deadman@1", () => {
  it("runs the full ladder: reminders at the right instants, fires after the deadline and not before, once", async () => {
    const r = createTestHost();
    expect(await arm(r, T0)).toEqual(LADDER);
    // re-arming does not move the period
    expect(await arm(r, "2030-01-10T00:00:00.000Z")).toEqual(LADDER);

    expect(await timer(r, "remind:7d", REMIND_7D)).toEqual({});
    expect(r.mails).toHaveLength(1);
    const mail = r.mails[0]!;
    expect(mail.to).toEqual(["owner@example.com"]);
    expect(mail.idempotencyKey).toBe(`deadman:family-legacy:t1:${T0}:7d`);
    expect(mail.text).toContain(LINK);
    expect(mail.text).toContain(DEADLINE);
    // the same reminder delivered again sends nothing
    await timer(r, "remind:7d", REMIND_7D, "2030-01-31T00:00:05.000Z");
    expect(r.mails).toHaveLength(1);

    await timer(r, "remind:1d", REMIND_1D);
    expect(r.mails.map((m) => m.idempotencyKey)).toEqual([
      `deadman:family-legacy:t1:${T0}:7d`,
      `deadman:family-legacy:t1:${T0}:1d`,
    ]);

    // a deadline timer delivered a second early does not fire; it re-sets the deadline
    expect(await timer(r, "deadline", DEADLINE, "2030-02-06T23:59:59.000Z")).toEqual({
      timers: [{ key: "deadline", at: DEADLINE }],
    });
    expect(r.emits).toEqual([]);

    expect(await timer(r, "deadline", DEADLINE)).toEqual({ timers: [] });
    expect(r.emits).toEqual([{ kind: "fired", payload: { deadline: DEADLINE, remindersSent: 2 } }]);
    // fired for this period: nothing more, even when re-armed or the timer comes again
    expect(await timer(r, "deadline", DEADLINE, "2030-02-07T00:01:00.000Z")).toEqual({ timers: [] });
    expect(await arm(r, "2030-02-08T00:00:00.000Z")).toEqual({ timers: [] });
    expect(r.emits).toHaveLength(1);
  });

  it("a check-in starts a new period: new deadline, reminders again, lastCheckInAt in the payload", async () => {
    const r = createTestHost();
    await arm(r, T0);
    await timer(r, "remind:7d", REMIND_7D);
    const checkIn = "2030-02-01T12:00:00.000Z";
    const next = "2030-03-10T12:00:00.000Z";
    expect(await control(r, "check-in", checkIn)).toEqual({
      timers: [
        { key: "remind:7d", at: "2030-03-03T12:00:00.000Z" },
        { key: "remind:1d", at: "2030-03-09T12:00:00.000Z" },
        { key: "deadline", at: next },
      ],
      response: { status: 200, body: { deadline: next } },
    });
    // the old deadline timer (if still delivered) does not fire
    await timer(r, "deadline", DEADLINE);
    expect(r.emits).toEqual([]);
    await timer(r, "remind:7d", "2030-03-03T12:00:00.000Z");
    expect(r.mails.at(-1)?.idempotencyKey).toBe(`deadman:family-legacy:t1:${checkIn}:7d`);
    await timer(r, "deadline", next);
    expect(r.emits).toEqual([
      { kind: "fired", payload: { deadline: next, remindersSent: 1, lastCheckInAt: checkIn } },
    ]);
    // after firing, a check-in re-arms the switch
    const again = (await control(r, "check-in", "2030-03-11T00:00:00.000Z")) as { timers: unknown[] };
    expect(again.timers).toHaveLength(3);
  });

  it("pause: no reminders, no firing, a resume timer; the period restarts when the pause ends", async () => {
    const r = createTestHost();
    await arm(r, T0);
    const until = "2030-03-01T00:00:00.000Z";
    expect(await control(r, "pause", "2030-01-20T00:00:00.000Z", until)).toEqual({
      timers: [{ key: "resume", at: until }],
      response: { status: 200, body: { deadline: DEADLINE, pausedUntil: until } },
    });
    // stale timers during the pause do nothing but re-set the resume timer
    expect(await timer(r, "remind:7d", REMIND_7D)).toEqual({ timers: [{ key: "resume", at: until }] });
    expect(await timer(r, "deadline", DEADLINE)).toEqual({ timers: [{ key: "resume", at: until }] });
    expect(r.mails).toEqual([]);
    expect(r.emits).toEqual([]);
    // the pause ends: a new period from `until` (deadline until + 37d)
    expect(await timer(r, "resume", until, "2030-03-01T00:00:02.000Z")).toEqual({
      timers: [
        { key: "remind:7d", at: "2030-03-31T00:00:00.000Z" },
        { key: "remind:1d", at: "2030-04-06T00:00:00.000Z" },
        { key: "deadline", at: "2030-04-07T00:00:00.000Z" },
      ],
    });
  });

  it("resume ends a pause early and restarts the period now; a bad `until` is refused", async () => {
    const r = createTestHost();
    await arm(r, T0);
    expect(await control(r, "pause", "2030-01-20T00:00:00.000Z", "2029-12-01T00:00:00Z")).toMatchObject({
      response: { status: 400, body: { error: { code: "invalid_until" } } },
    });
    expect(await control(r, "pause", "2030-01-20T00:00:00.000Z")).toMatchObject({
      response: { status: 400 },
    });
    await control(r, "pause", "2030-01-20T00:00:00.000Z", "2030-06-01T00:00:00Z");
    expect(await control(r, "resume", "2030-02-01T00:00:00.000Z")).toMatchObject({
      timers: [
        { key: "remind:7d" },
        { key: "remind:1d" },
        { key: "deadline", at: "2030-03-10T00:00:00.000Z" },
      ],
      response: { status: 200, body: { deadline: "2030-03-10T00:00:00.000Z" } },
    });
  });

  it("config.pausedUntil in the future pauses; when it passes the period restarts from it", async () => {
    const r = createTestHost();
    const config = { ...CONFIG, pausedUntil: "2030-05-01T00:00:00Z" };
    expect(await arm(r, T0, config)).toEqual({ timers: [{ key: "resume", at: "2030-05-01T00:00:00.000Z" }] });
    // a resume control cannot lift a pause the pipeline itself declares
    expect(await control(r, "resume", "2030-02-01T00:00:00.000Z", undefined, config)).toMatchObject({
      response: { status: 409, body: { error: { code: "paused_by_config" } } },
    });
    // the kernel was down at the end of the pause: the period still starts at its end
    expect(
      await timer(r, "resume", "2030-05-01T00:00:00.000Z", "2030-05-03T00:00:00.000Z", config),
    ).toMatchObject({
      timers: [
        { key: "remind:7d" },
        { key: "remind:1d" },
        { key: "deadline", at: "2030-06-07T00:00:00.000Z" },
      ],
    });
    // re-arming later with the (now past) pausedUntil keeps that period
    expect(await arm(r, "2030-05-10T00:00:00.000Z", config)).toMatchObject({
      timers: [
        { key: "remind:7d" },
        { key: "remind:1d" },
        { key: "deadline", at: "2030-06-07T00:00:00.000Z" },
      ],
    });
  });

  it("reminds remindTo when set; skips with a warning when there is no recipient", async () => {
    const r = createTestHost();
    const config = { ...CONFIG, remindTo: ["me@example.com", "backup@example.com"] };
    await arm(r, T0, config);
    await timer(r, "remind:7d", REMIND_7D, REMIND_7D, config);
    expect(r.mails[0]?.to).toEqual(["me@example.com", "backup@example.com"]);

    const nobody = createTestHost();
    await invoke(nobody, { type: "arm" }, T0, CONFIG, "");
    await invoke(nobody, { type: "timer", key: "remind:7d", dueAt: REMIND_7D }, REMIND_7D, CONFIG, "");
    expect(nobody.mails).toEqual([]);
    expect(nobody.logs).toMatchObject([{ level: "warn", message: "deadman reminder skipped: no recipient" }]);
  });

  it("only future reminders are set; a deadline already passed at arm is due at once", async () => {
    const r = createTestHost();
    expect(await arm(r, T0, { checkInEvery: "2d", remind: ["3d", "1d"] })).toEqual({
      timers: [
        { key: "remind:1d", at: "2030-01-02T00:00:00.000Z" },
        { key: "deadline", at: "2030-01-03T00:00:00.000Z" },
      ],
    });
    const late = createTestHost();
    await arm(late, T0, { checkInEvery: "1d" });
    expect(
      await timer(late, "deadline", "2030-01-02T00:00:00.000Z", "2030-01-05T00:00:00.000Z", {
        checkInEvery: "1d",
      }),
    ).toEqual({ timers: [] });
    expect(late.emits).toEqual([
      { kind: "fired", payload: { deadline: "2030-01-02T00:00:00.000Z", remindersSent: 0 } },
    ]);
  });

  it("status: deadline, last check-in, ladder with what was sent, and the pause; changes nothing", async () => {
    const r = createTestHost();
    const status = (now: string) => invoke(r, { type: "status" }, now);
    // never armed: the period starts now
    expect(await status(T0)).toEqual({
      response: {
        status: 200,
        body: {
          deadline: DEADLINE,
          periodStart: T0,
          paused: false,
          fired: false,
          ladder: [
            { entry: "7d", at: REMIND_7D, sent: false },
            { entry: "1d", at: REMIND_1D, sent: false },
          ],
        },
      },
    });
    await arm(r, T0);
    await timer(r, "remind:7d", REMIND_7D);
    const checkIn = "2030-02-01T12:00:00.000Z";
    await control(r, "check-in", checkIn);
    const stored = JSON.stringify([...r.kv]);
    expect(await status("2030-02-02T00:00:00.000Z")).toMatchObject({
      response: {
        body: {
          deadline: "2030-03-10T12:00:00.000Z",
          lastCheckInAt: checkIn,
          ladder: [
            { entry: "7d", at: "2030-03-03T12:00:00.000Z", sent: false },
            { entry: "1d", at: "2030-03-09T12:00:00.000Z", sent: false },
          ],
        },
      },
    });
    // paused: the deadline counts from the end of the pause
    const until = "2030-04-01T00:00:00.000Z";
    await control(r, "pause", "2030-02-03T00:00:00.000Z", until);
    const paused = (await status("2030-02-04T00:00:00.000Z")) as { response: { body: object } };
    expect(paused.response.body).toMatchObject({
      paused: true,
      pausedUntil: until,
      deadline: "2030-05-08T00:00:00.000Z",
      lastCheckInAt: checkIn,
    });
    // reading the status wrote nothing and sent nothing
    expect(JSON.stringify([...r.kv])).not.toBe(stored); // the pause itself was stored
    const afterPause = JSON.stringify([...r.kv]);
    await status("2030-02-05T00:00:00.000Z");
    expect(JSON.stringify([...r.kv])).toBe(afterPause);
    expect(r.mails).toHaveLength(1);
    expect(r.emits).toEqual([]);
  });

  it("answers webhook requests with 405", async () => {
    const request = { headers: {}, body: "", bodyBytes: 0, receivedAt: T0 };
    expect(await invoke(createTestHost(), { type: "request", request }, T0)).toMatchObject({
      response: { status: 405 },
    });
  });
});
