import { describe, expect, it } from "vitest";
import { retryDelay } from "./retry.js";

const policy = {
  maxAttempts: 5,
  backoff: "exponential" as const,
  initialInterval: "10s",
  maxInterval: "1m",
  nonRetryable: ["http_4xx"],
};
const fail = (attempt: number, code = "plugin_error", retryable = false) => ({ attempt, code, retryable });

describe("retryDelay", () => {
  it("doubles from the initial interval up to the max, with equal jitter", () => {
    const top = () => 1;
    const bottom = () => 0;
    expect([1, 2, 3, 4].map((a) => retryDelay(policy, fail(a), top))).toEqual([
      10_000, 20_000, 40_000, 60_000,
    ]);
    expect([1, 2, 3, 4].map((a) => retryDelay(policy, fail(a), bottom))).toEqual([
      5_000, 10_000, 20_000, 30_000,
    ]);
  });

  it("gives up after maxAttempts, on non-retryable codes and on codes that never succeed", () => {
    expect(retryDelay(policy, fail(5))).toBeUndefined();
    expect(retryDelay(policy, fail(1, "http_4xx"))).toBeUndefined();
    expect(retryDelay(policy, fail(1, "capability_denied", true))).toBeUndefined();
  });

  it("fixed backoff waits the initial interval every time", () => {
    const fixed = { ...policy, backoff: "fixed" as const };
    expect(retryDelay(fixed, fail(4), () => 1)).toBe(10_000);
  });

  it("without a policy retries only transient errors, three attempts in all", () => {
    expect(retryDelay(undefined, fail(1, "plugin_error", false))).toBeUndefined();
    expect(retryDelay(undefined, fail(1, "sandbox_crashed", true), () => 1)).toBe(1_000);
    expect(retryDelay(undefined, fail(2, "sandbox_crashed", true), () => 1)).toBe(2_000);
    expect(retryDelay(undefined, fail(3, "sandbox_crashed", true))).toBeUndefined();
  });
});
