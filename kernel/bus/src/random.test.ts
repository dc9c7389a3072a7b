import { describe, expect, it } from "vitest";
import { pooledRandom } from "./random.js";

describe("pooledRandom", () => {
  it("gives fractions in [0, 1) in steps of 1/256, across pool refills, not a repeating pool", () => {
    const xs = Array.from({ length: 3 * 4096 + 7 }, () => pooledRandom());
    expect(xs.every((x) => x >= 0 && x < 1 && Number.isInteger(x * 256))).toBe(true);
    // every byte value shows up (a stuck or zero pool would not)
    expect(new Set(xs.map((x) => x * 256)).size).toBe(256);
    // consecutive pools differ (refilled, not reused)
    expect(xs.slice(0, 4096)).not.toEqual(xs.slice(4096, 8192));
  });
});
