import { describe, expect, it } from "vitest";
import { codeLenses } from "../src/language/index.js";
import { EXAMPLE, edit, find } from "./fixtures.js";

/** Fixed "now": Sunday 6 December 2026, 08:00 UTC. */
const NOW = Date.parse("2026-12-06T08:00:00Z");
const titles = (text: string, now = NOW) => codeLenses(text, { now }).map((l) => l.command.title);

const trigger = (body: string) =>
  EXAMPLE.replace(
    /uses: deadman@1[^\n]*\n {6}with:\n(?: {8}.*\n)+/,
    `${body.replace(/^/gm, "      ").trimStart()}\n`,
  );

describe("code lenses", () => {
  it("cron@1: the next five fire times in the trigger's time zone, across a DST change", () => {
    const text = trigger('uses: cron@1\nwith:\n  schedule: "0 9 * * MON"\n  timeZone: Europe/Berlin');
    const lenses = codeLenses(text, { now: NOW });
    const p = find(text, "cron@1");
    expect(lenses).toEqual([
      {
        range: { start: p, end: { line: p.line, character: p.character + 6 } },
        command: {
          title:
            "Next (Europe/Berlin): Mon 2026-12-07 09:00 · Mon 2026-12-14 09:00 · Mon 2026-12-21 09:00 · Mon 2026-12-28 09:00 · Mon 2027-01-04 09:00",
          command: "",
        },
      },
    ]);
    // spring forward in Berlin: 02:30 on 28 March 2027 does not exist and fires at 03:00 (the plugin's rule)
    const dst = trigger('uses: cron@1\nwith:\n  schedule: "30 2 * * *"\n  timeZone: Europe/Berlin');
    expect(titles(dst, Date.parse("2027-03-26T12:00:00Z"))).toEqual([
      "Next (Europe/Berlin): Sat 2027-03-27 02:30 · Sun 2027-03-28 03:00 · Mon 2027-03-29 02:30 · Tue 2027-03-30 02:30 · Wed 2027-03-31 02:30",
    ]);
  });

  it("cron@1: UTC by default, nicknames and 6-field schedules; never, and nothing for a wrong schedule", () => {
    expect(titles(trigger("uses: cron@1\nwith:\n  schedule: '@daily'"))[0]).toBe(
      "Next (UTC): Mon 2026-12-07 00:00 · Tue 2026-12-08 00:00 · Wed 2026-12-09 00:00 · Thu 2026-12-10 00:00 · Fri 2026-12-11 00:00",
    );
    expect(titles(trigger("uses: cron@1\nwith:\n  schedule: '30 */20 8 * * *'"))[0]).toBe(
      "Next (UTC): Sun 2026-12-06 08:00:30 · Sun 2026-12-06 08:20:30 · Sun 2026-12-06 08:40:30 · Mon 2026-12-07 08:00:30 · Mon 2026-12-07 08:20:30",
    );
    expect(titles(trigger("uses: cron@1\nwith:\n  schedule: '0 0 30 2 *'"))).toEqual([
      "Never fires (no date matches 0 0 30 2 *)",
    ]);
    expect(titles(trigger("uses: cron@1\nwith:\n  schedule: 'not a schedule'"))).toEqual([]);
    expect(titles(trigger("uses: cron@1\nwith:\n  schedule: '@daily'\n  timeZone: Mars/Olympus"))).toEqual(
      [],
    );
  });

  it("schedule@1: the one fire time, in its display zone; a past date fires on apply", () => {
    expect(
      titles(trigger("uses: schedule@1\nwith:\n  at: 2026-12-24T18:00:00+01:00\n  timeZone: Europe/Berlin")),
    ).toEqual(["Fires once: Thu 2026-12-24 18:00 (Europe/Berlin), in 18d9h"]);
    expect(titles(trigger("uses: schedule@1\nwith:\n  at: 2020-01-01T00:00:00Z"))).toEqual([
      "Fires once: Wed 2020-01-01 00:00 (UTC), already past: fires as soon as the pipeline is applied",
    ]);
  });

  it("deadman@1: the deadline ladder in words, and the dates if checked in now", () => {
    expect(titles(EXAMPLE)).toEqual([
      "Check in at least every 30d · fires 37d after the last check-in (30d + 7d grace) · reminders 7d and 1d before that (30d and 36d after the check-in)",
      "Checking in now: reminders Tue 2027-01-05 08:00 and Mon 2027-01-11 08:00, fires Tue 2027-01-12 08:00 (UTC)",
    ]);
    expect(titles(trigger("uses: deadman@1\nwith:\n  checkInEvery: 1w"))).toEqual([
      "Check in at least every 7d · fires 7d after the last check-in (no grace) · no reminders",
      "Checking in now: fires Sun 2026-12-13 08:00 (UTC)",
    ]);
    expect(
      titles(
        trigger(
          "uses: deadman@1\nwith:\n  checkInEvery: 1d\n  remind: [12h]\n  pausedUntil: 2027-01-01T00:00:00Z",
        ),
      ),
    ).toEqual([
      "Check in at least every 1d · fires 1d after the last check-in (no grace) · reminder 12h before that (12h after the check-in)",
      "Paused until Fri 2027-01-01 00:00 (UTC); then: reminders Fri 2027-01-01 12:00, fires Sat 2027-01-02 00:00 (UTC)",
    ]);
    expect(titles(edit("grace: 7d", "grace: soon"))).toEqual([]);
  });

  it("no lenses on steps, other triggers, or a trigger without uses", () => {
    expect(titles(trigger("uses: manual@1"))).toEqual([]);
    expect(titles(edit("uses: deadman@1 # <capability>@<major>", ""))).toEqual([]);
  });
});

describe("pipeline lenses (with a server connection)", () => {
  it("Plan, Apply and Open runs on metadata.name, Run only with a manual@1 trigger; none offline", () => {
    const uri = "file:///work/family-legacy.latchflow.yaml";
    const p = find(EXAMPLE, "family-legacy");
    const range = { start: p, end: { line: p.line, character: p.character + "family-legacy".length } };
    const commands = (text: string) =>
      codeLenses(text, { now: NOW, commandsFor: uri })
        .filter((l) => l.command.command !== "")
        .map((l) => [l.command.title, l.command.command, l.command.arguments, l.range]);
    expect(commands(EXAMPLE)).toEqual([
      ["Plan", "latchflow.plan", [uri], range],
      ["Apply", "latchflow.apply", [uri], range],
      ["Open runs", "latchflow.showRuns", [uri], range],
    ]);
    expect(commands(trigger("uses: manual@1")).map((c) => c[0])).toEqual([
      "Plan",
      "Apply",
      "Run",
      "Open runs",
    ]);
    expect(codeLenses(EXAMPLE, { now: NOW }).filter((l) => l.command.command !== "")).toEqual([]);
  });
});
