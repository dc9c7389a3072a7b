import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe("parseDuration", () => {
  it.each([
    ["30d", 30 * D],
    ["1h", H],
    ["90s", 90 * S],
    ["1h30m", H + 30 * M],
    ["500ms", 500],
    ["2w", 14 * D],
    ["1d2h3m4s5ms", D + 2 * H + 3 * M + 4 * S + 5],
    ["1.5h", 90 * M],
    ["0s", 0],
    [" 10m ", 10 * M],
    ["P1DT2H", D + 2 * H],
    ["PT15M", 15 * M],
    ["P2W", 14 * D],
    ["PT0.5S", 500],
    ["P1D", D],
    ["pt1h", H],
  ])("%s → %d ms", (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  it.each([
    ["", /empty duration/],
    ["5 parsecs", /"5 parsecs" is not a duration/],
    ["10", /is not a duration/],
    ["h", /is not a duration/],
    ["-5m", /is not a duration/],
    ["30m1h", /largest first/],
    ["1h1h", /largest first/],
    ["P", /not an ISO 8601 duration/],
    ["PT", /not an ISO 8601 duration/],
    ["P1DT", /not an ISO 8601 duration/],
    ["P1Y", /years and months/],
    ["P2M", /years and months/],
    ["1e3s", /is not a duration/],
  ])("rejects %j", (text, message) => {
    const result = parseDuration(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [500, "500ms"],
    [90 * S, "1m30s"],
    [H + 30 * M, "1h30m"],
    [30 * D, "30d"],
    [D + 2 * H + 5, "1d2h5ms"],
    [-H, "-1h"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("round-trips through parseDuration", () => {
    for (const ms of [1, 999, 1000, 61_001, 3 * D + 7 * M, 365 * D]) {
      expect(parseDuration(formatDuration(ms))).toEqual({ ok: true, ms });
    }
  });
});
