import { parseDuration, type RetryPolicy } from "@latchflow/spec";

/** Codes that never succeed on a retry, whatever the policy says. */
const NEVER_RETRY = new Set([
  "capability_denied",
  "capability_unavailable",
  "condition_error",
  "validation_failed",
  "permission_denied",
  "not_found",
  "output_too_large",
]);

/** Without `retry:`, only transient failures (a crashed sandbox, an unavailable service) are retried. */
export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 3,
  backoff: "exponential",
  initialInterval: "1s",
  maxInterval: "30s",
};

const ms = (text: string, fallback: number) => {
  const d = parseDuration(text);
  return d.ok ? d.ms : fallback;
};

export interface FailedAttempt {
  /** 1-based number of the attempt that failed */
  attempt: number;
  code: string;
  /** what the error itself says (sandbox crashes, unavailable services, deadlines) */
  retryable: boolean;
}

/**
 * When to try a failed step again, or `undefined` to give up. Exponential backoff doubles from
 * `initialInterval` up to `maxInterval`, with "equal jitter" (half fixed, half random) so replicas retrying
 * the same outage spread out; `random` is injectable for tests.
 */
export function retryDelay(
  policy: RetryPolicy | undefined,
  failed: FailedAttempt,
  random: () => number = Math.random,
): number | undefined {
  const p = policy ?? DEFAULT_RETRY;
  if (failed.attempt >= p.maxAttempts) return undefined;
  if (NEVER_RETRY.has(failed.code) || p.nonRetryable?.includes(failed.code)) return undefined;
  if (!policy && !failed.retryable) return undefined;
  const initial = ms(p.initialInterval, 1_000);
  const max = Math.max(initial, ms(p.maxInterval, initial));
  const base =
    p.backoff === "fixed" ? initial : Math.min(max, initial * 2 ** Math.min(failed.attempt - 1, 30));
  return Math.round(base / 2 + (base / 2) * random());
}
