/** What the poller needs of the page: whether it is hidden, and word when that changes. */
export interface Visibility {
  readonly hidden: boolean;
  addEventListener(type: "visibilitychange", listener: () => void): void;
  removeEventListener(type: "visibilitychange", listener: () => void): void;
}

/**
 * Calls `tick` every `intervalMs` (each call waits for the previous one) until it answers false or the returned
 * stop is called; paused while the page is hidden, and at once again when it shows. A failing tick is tried again
 * at the next interval. Keeps it simple: no server stream exists for runs, and a second between readings is live
 * enough for steps that take seconds.
 */
export function startPolling(
  tick: () => Promise<boolean>,
  { intervalMs = 1000, visibility = document as Visibility } = {},
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let inFlight = false;

  const schedule = () => {
    clearTimeout(timer);
    if (!stopped && !visibility.hidden) timer = setTimeout(run, intervalMs);
  };
  const run = async () => {
    if (stopped || inFlight || visibility.hidden) return;
    inFlight = true;
    let more = true;
    try {
      more = await tick();
    } catch {
      more = true;
    } finally {
      inFlight = false;
    }
    if (more) schedule();
    else stop();
  };
  const onVisibility = () => {
    clearTimeout(timer);
    if (!visibility.hidden) void run();
  };
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    visibility.removeEventListener("visibilitychange", onVisibility);
  };
  visibility.addEventListener("visibilitychange", onVisibility);
  schedule();
  return stop;
}
