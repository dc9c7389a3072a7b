import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startPolling, type Visibility } from "./poller.js";

class Page implements Visibility {
  hidden = false;
  private listeners = new Set<() => void>();
  addEventListener(_: "visibilitychange", l: () => void) {
    this.listeners.add(l);
  }
  removeEventListener(_: "visibilitychange", l: () => void) {
    this.listeners.delete(l);
  }
  set(hidden: boolean) {
    this.hidden = hidden;
    for (const l of this.listeners) l();
  }
  get listening() {
    return this.listeners.size;
  }
}

describe("startPolling", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("ticks every interval, pauses while the page is hidden, and stops when told it is done", async () => {
    const page = new Page();
    let ticks = 0;
    let done = false;
    startPolling(
      async () => {
        ticks++;
        return !done;
      },
      { intervalMs: 1000, visibility: page },
    );
    await vi.advanceTimersByTimeAsync(3000);
    expect(ticks).toBe(3);
    page.set(true);
    await vi.advanceTimersByTimeAsync(5000);
    expect(ticks).toBe(3);
    // shown again: a reading at once, then every second
    page.set(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(ticks).toBe(4);
    done = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(ticks).toBe(5);
    await vi.advanceTimersByTimeAsync(5000);
    expect(ticks).toBe(5);
    expect(page.listening).toBe(0);
  });

  it("keeps going after a failed reading, and stops when the page leaves", async () => {
    const page = new Page();
    let ticks = 0;
    const stop = startPolling(
      async () => {
        ticks++;
        if (ticks === 1) throw new Error("offline");
        return true;
      },
      { intervalMs: 500, visibility: page },
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(ticks).toBe(2);
    stop();
    await vi.advanceTimersByTimeAsync(2000);
    expect(ticks).toBe(2);
    expect(page.listening).toBe(0);
  });
});
