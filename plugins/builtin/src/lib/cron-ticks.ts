import { Cron } from "croner";

/** At most this many ticks are walked when catching up; `missed` saturates there (croner needs ~0.1–0.2 ms per tick). */
const MAX_WALK = 1_000;

/**
 * A cron schedule read in an IANA time zone. Fixed wall-clock times (no `*` or step in the second,
 * minute and hour fields, lists and ranges included) skipped by a DST change fire at the next valid
 * instant and fire once when repeated; interval schedules (`*\/15 * * * *`) keep their real-time rhythm.
 */
export class CronSchedule {
  private readonly cron: Cron;

  constructor(schedule: string, timeZone: string) {
    assertTimeZone(timeZone);
    try {
      this.cron = new Cron(schedule.trim(), {
        timezone: timeZone,
        mode: "5-or-6-parts",
        fixedTimeRule: "no-wildcard",
      });
    } catch (err) {
      throw new Error(`invalid cron schedule ${JSON.stringify(schedule)}: ${(err as Error).message}`);
    }
  }

  /** The first tick strictly after `ms`, or null when the schedule never fires again (e.g. `0 0 30 2 *`). */
  next(ms: number): number | null {
    return this.cron.nextRun(new Date(ms))?.getTime() ?? null;
  }

  /**
   * The ticks in `[from, to]` as `{ latest, count }` (`count` saturates at 1,000), or null when none.
   */
  between(from: number, to: number): { latest: number; count: number } | null {
    let count = 0;
    let latest: number | null = null;
    // from − 1 s: croner works in whole seconds and returns ticks strictly after its reference
    let t = this.next(from - 1_000);
    while (t !== null && t < from) t = this.next(t);
    while (t !== null && t <= to) {
      latest = t;
      if (++count >= MAX_WALK) {
        const last = this.cron.previousRuns(1, new Date(to + 1))[0]?.getTime();
        if (last !== undefined && last > latest) latest = last;
        break;
      }
      t = this.next(t);
    }
    return latest === null ? null : { latest, count };
  }
}

function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch {
    throw new Error(`unknown time zone ${JSON.stringify(timeZone)}`);
  }
}
