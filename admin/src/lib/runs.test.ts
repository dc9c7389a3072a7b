import type { schemas } from "@latchflow/api";
import { describe, expect, it } from "vitest";
import { buildTimeline, describeChanges, formatDuration, parseRunStatus, runDuration } from "./runs.js";

const NOW = new Date("2030-01-01T10:00:10.000Z");

function step(over: Partial<schemas.RunStep> & { stepId: string }): schemas.RunStep {
  return {
    uses: "email@1",
    status: "pending",
    outputs: null,
    errorCode: "",
    errorMessage: "",
    startedAt: null,
    finishedAt: null,
    attempts: [],
    condition: "",
    ...over,
  };
}

function run(over: Partial<schemas.Run> = {}): schemas.Run {
  return {
    id: "01J0000000000000000000000A",
    pipeline: "p",
    pipelineVersion: 1,
    trigger: { id: "go", uses: "manual@1", kind: "manual", payload: {} },
    status: "running",
    errorCode: "",
    errorMessage: "",
    createdAt: "2030-01-01T10:00:00.000Z",
    startedAt: "2030-01-01T10:00:00.000Z",
    finishedAt: null,
    wakeAt: null,
    steps: [],
    ...over,
  };
}

const attempt = (number: number, status: string, over: Partial<schemas.RunAttempt> = {}) => ({
  number,
  status,
  errorCode: "",
  errorMessage: "",
  startedAt: "2030-01-01T10:00:00.000Z",
  finishedAt: null,
  nextRetryAt: null,
  ...over,
});

describe("formatDuration", () => {
  it.each([
    [0, "0 ms"],
    [350, "350 ms"],
    [4_260, "4.2 s"],
    [12_400, "12 s"],
    [60_000, "1 min"],
    [185_000, "3 min 5 s"],
    [3_600_000, "1 h"],
    [7_440_000, "2 h 4 min"],
    [266_400_000, "3 d 2 h"],
    [-5, "0 ms"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("says 'so far' while a run has not finished, a dash before it started", () => {
    expect(runDuration({ startedAt: "2030-01-01T10:00:00.000Z", finishedAt: null }, NOW)).toBe("10 s so far");
    expect(
      runDuration({ startedAt: "2030-01-01T10:00:00.000Z", finishedAt: "2030-01-01T10:00:02.500Z" }, NOW),
    ).toBe("2.5 s");
    expect(runDuration({ startedAt: null, finishedAt: null }, NOW)).toBe("—");
  });

  it("reads a status query parameter", () => {
    expect(parseRunStatus("failed")).toBe("failed");
    expect(parseRunStatus("lost")).toBeUndefined();
    expect(parseRunStatus(null)).toBeUndefined();
  });
});

describe("buildTimeline", () => {
  it("shows attempts with their errors, when the next one is due, outputs, and why a step was skipped", () => {
    const r = run({
      steps: [
        step({
          stepId: "hello",
          status: "succeeded",
          startedAt: "2030-01-01T10:00:00.000Z",
          finishedAt: "2030-01-01T10:00:00.400Z",
          outputs: { messageId: "<a@b>" },
          attempts: [attempt(1, "succeeded", { finishedAt: "2030-01-01T10:00:00.400Z" })],
        }),
        step({
          stepId: "call",
          uses: "http@1",
          status: "waiting",
          startedAt: "2030-01-01T10:00:01.000Z",
          errorCode: "fetch_failed",
          errorMessage: "connection reset",
          attempts: [
            attempt(1, "failed", {
              startedAt: "2030-01-01T10:00:01.000Z",
              finishedAt: "2030-01-01T10:00:01.200Z",
              errorCode: "fetch_failed",
              errorMessage: "connection reset",
              nextRetryAt: "2030-01-01T10:00:13.000Z",
            }),
          ],
        }),
        step({ stepId: "later", status: "pending" }),
        step({ stepId: "only-cron", status: "skipped", condition: 'trigger.kind == "cron"' }),
      ],
    });
    const t = buildTimeline(r, NOW);
    expect(t.map((s) => [s.stepId, s.label, s.duration])).toEqual([
      ["hello", "Succeeded", "400 ms"],
      ["call", "Waiting to retry", "9.0 s"],
      ["later", "Not started", undefined],
      ["only-cron", "Skipped", undefined],
    ]);
    expect(t[0]?.outputs).toBe('{\n  "messageId": "<a@b>"\n}');
    expect(t[0]?.attempts).toEqual([
      {
        number: 1,
        status: "succeeded",
        label: "Succeeded",
        startedAt: "2030-01-01T10:00:00.000Z",
        duration: "400 ms",
        error: "",
        nextRetryAt: null,
      },
    ]);
    expect(t[1]?.attempts[0]).toMatchObject({
      error: "fetch_failed: connection reset",
      duration: "200 ms",
      nextRetryAt: "2030-01-01T10:00:13.000Z",
    });
    expect(t[1]?.note).toMatch(/^Attempt 1 failed\. Next attempt in 3\.0 s, at \d\d:\d\d:13\.$/);
    expect(t[1]?.error).toBe(""); // not failed for good
    expect(t[2]?.note).toBe("Not started yet.");
    expect(t[3]?.note).toBe('Skipped: its condition (if: trigger.kind == "cron") was false.');
  });

  it("a failed run: the failed step's error, the steps it never reached", () => {
    const t = buildTimeline(
      run({
        status: "failed",
        steps: [
          step({
            stepId: "pub",
            status: "failed",
            errorCode: "not_found",
            errorMessage: "no bundle",
            attempts: [attempt(1, "running"), attempt(2, "abandoned", { errorCode: "kernel_restarted" })],
          }),
          step({ stepId: "next" }),
        ],
      }),
      NOW,
    );
    expect(t[0]?.error).toBe("not_found: no bundle");
    expect(t[0]?.attempts.map((a) => [a.label, a.duration])).toEqual([
      ["Running", "10 s so far"],
      ["Abandoned (the server restarted)", "10 s so far"],
    ]);
    expect(t[1]?.note).toBe("Not run: the run stopped before this step.");
  });
});

describe("describeChanges", () => {
  it("names each step that moved on, a retry with its time, and the run's end", () => {
    const before = run({
      steps: [step({ stepId: "a", status: "running" }), step({ stepId: "b" })],
    });
    const waiting = run({
      status: "waiting",
      steps: [
        step({ stepId: "a", status: "succeeded" }),
        step({
          stepId: "b",
          status: "waiting",
          attempts: [attempt(1, "failed", { nextRetryAt: "2030-01-01T10:00:13.000Z" })],
        }),
      ],
    });
    const lines = describeChanges(before, waiting);
    expect(lines[0]).toBe("Step a: succeeded.");
    expect(lines[1]).toMatch(/^Step b failed and will retry at \d\d:\d\d:13\.$/);
    expect(describeChanges(waiting, waiting)).toEqual([]);
    const done = run({
      status: "succeeded",
      steps: [
        step({ stepId: "a", status: "succeeded" }),
        step({ stepId: "b", status: "succeeded", attempts: [attempt(1, "failed"), attempt(2, "succeeded")] }),
      ],
    });
    expect(describeChanges(waiting, done)).toEqual(["Step b: succeeded (attempt 2).", "The run succeeded."]);
  });
});
