export interface WaitForOptions {
  /** Give up after this many milliseconds (default 5000). */
  timeoutMs?: number;
  /** Pause between two attempts (default 50). */
  intervalMs?: number;
  /** What is awaited, for the timeout error ("the outbox to drain"). */
  description?: string;
}

/**
 * Polls `predicate` until it returns a truthy value (which is returned) or the time is up.
 * A predicate that throws counts as "not yet"; its last error is named in the timeout error.
 * Bounded: never waits longer than `timeoutMs` plus one attempt.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 5000, intervalMs = 50, description }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  if (!(timeoutMs >= 0) || !(intervalMs > 0))
    throw new RangeError("waitFor: timeoutMs >= 0 and intervalMs > 0");
  const what = description ?? (predicate.name || "condition");
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let lastError: unknown;
  for (;;) {
    attempts++;
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, left)));
  }
  const cause =
    lastError instanceof Error ? lastError.message : lastError === undefined ? "" : String(lastError);
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what} (${attempts} attempts)` +
      (cause ? `; last error: ${cause}` : ""),
    lastError === undefined ? undefined : { cause: lastError },
  );
}
