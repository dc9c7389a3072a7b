import { sameBytesSpelling, waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODES, OWNER_EMAIL, type Stack } from "../stack.js";
import { nthRun, pipelineStack, putPipeline, runs } from "./helpers.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Lets the kernel's scheduler (polling every 50 ms) see the moved clock. */
const settle = () => new Promise((r) => setTimeout(r, 400));

describe.each(MODES)("durable timers on %s + %s", (dialect, bus) => {
  let s: Stack;
  beforeAll(async () => {
    s = await pipelineStack(dialect, bus, "pipetimers");
  });
  afterAll(async () => {
    await s?.stop();
  });

  it("deadman@1: reminds with a check-in link, a check-in postpones, fires only after a missed deadline", async () => {
    await putPipeline(
      s,
      "legacy",
      `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: legacy }
spec:
  triggers:
    - id: switch
      uses: deadman@1
      with: { checkInEvery: 10d, grace: 2d, remind: [3d] }
  steps:
    - id: tell
      uses: email@1
      if: trigger.kind == "fired"
      with: { to: [heir@example.com], subject: "Released", text: "Deadline {{ trigger.payload.deadline }}" }
`,
    );
    await settle(); // armed: deadline = now + 12d, reminder at now + 9d
    s.advance(8 * DAY);
    await settle();
    expect(
      s.mail.to(OWNER_EMAIL).filter((m) => m.subject.length > 0 && m.text.includes("/checkin/")),
    ).toHaveLength(0);

    s.advance(1 * DAY + HOUR); // day 9: the reminder goes out
    const reminder = await s.mail.waitFor(OWNER_EMAIL, (m) => m.text.includes("/checkin/"));
    const link = /(http:\/\/\S+\/checkin\/\S+)/.exec(reminder.text)?.[1] ?? "";
    expect(link).toContain("/checkin/");
    expect(await runs(s, "legacy")).toHaveLength(0);

    // opening the link changes nothing (mail scanners follow links); the form POST checks in
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('method="post"');
    const checkIn = await fetch(link, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "",
    });
    expect(checkIn.status, await checkIn.clone().text()).toBe(200);
    expect(await checkIn.text()).toContain("Checked in");

    s.advance(4 * DAY); // day 13: past the old deadline (day 12), before the new one (day 9 + 12 = 21)
    await settle();
    expect(await runs(s, "legacy")).toHaveLength(0);

    // a forged link does nothing, nor one spelled differently that decodes to the same signature
    const sig = link.lastIndexOf(".") + 1;
    const other = link[sig] === "A" ? "B" : "A"; // the signature's first character: all six bits count
    const forged = await fetch(link.slice(0, sig) + other + link.slice(sig + 1), { method: "POST" });
    expect(forged.status).toBe(404);
    const respelled = await fetch(sameBytesSpelling(link), { method: "POST" });
    expect(respelled.status).toBe(404);

    // check in through the API too, then pause past the deadline: no firing while paused
    s.advance(2 * DAY); // day 15
    // new deadline: day 27
    await s.client().controlTrigger({
      params: { name: "legacy", trigger: "switch", action: "check-in" },
      body: {},
    });
    s.advance(13 * DAY); // day 28: past it
    const r = await nthRun(s, "legacy", 1);
    expect(r.trigger.kind).toBe("fired");
    expect(r.status).toBe("succeeded");
    expect((await s.mail.waitFor("heir@example.com")).subject).toBe("Released");
    s.advance(30 * DAY);
    await settle();
    expect(await runs(s, "legacy")).toHaveLength(1);
  });

  it("cron@1 fires on its ticks and schedule@1 fires once, not again when re-applied", async () => {
    const at = new Date(s.now().getTime() + 2 * HOUR).toISOString();
    const yaml = (n: number) => `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: timed }
spec:
  triggers:
    - { id: once, uses: schedule@1, with: { at: "${at}" } }
  steps:
    - { id: note, uses: email@1, with: { to: [timed@example.com], subject: "at ${n}", text: "{{ trigger.payload.scheduledAt }}" } }
`;
    await putPipeline(s, "timed", yaml(1));
    await settle();
    expect(await runs(s, "timed")).toHaveLength(0);
    s.advance(3 * HOUR);
    const r = await nthRun(s, "timed", 1);
    expect(r.trigger.payload).toMatchObject({ scheduledAt: at });
    await putPipeline(s, "timed", yaml(2)); // re-applied with the same date: never again
    s.advance(DAY);
    await settle();
    expect(await runs(s, "timed")).toHaveLength(1);

    await putPipeline(
      s,
      "ticker",
      `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: ticker }
spec:
  triggers:
    - { id: hourly, uses: cron@1, with: { schedule: "0 * * * *", timeZone: Europe/Berlin } }
  steps:
    - { id: note, uses: email@1, with: { to: [tick@example.com], subject: "tick", text: "{{ trigger.payload.scheduledAt }}" } }
`,
    );
    await settle();
    // to one second after the next full hour: a tick more than a minute late counts as missed (skipped)
    s.advance(HOUR - (s.now().getTime() % HOUR) + 1_000);
    const first = await nthRun(s, "ticker", 1);
    expect(first.trigger.payload).toMatchObject({ scheduledAt: expect.stringMatching(/T\d\d:00:00\.000Z$/) });
    s.advance(HOUR);
    await nthRun(s, "ticker", 2);
    await waitFor(() => s.mail.to("tick@example.com").length >= 2, { description: "two tick mails" });
    // disabling stops the ticks
    await s.client().setPipelineEnabled({ params: { name: "ticker" }, body: { enabled: false } });
    s.advance(3 * HOUR);
    await settle();
    expect(await runs(s, "ticker")).toHaveLength(2);
  });
});
