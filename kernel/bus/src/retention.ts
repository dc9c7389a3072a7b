import type { Logger } from "./logger.js";

/** How long both buses keep events that no consumer needs any more, and how often they look (ADR 074). */
export interface RetentionOptions {
  /**
   * How long a message stays in the log once no consumer needs it: every consumer is past it and none has it
   * pending. Default 7 days: far beyond the outbox's redelivery and the dedupe by event id it serves.
   */
  retentionMs?: number;
  /** How often consumed messages older than `retentionMs` are removed. Default 1 hour. */
  pruneEveryMs?: number;
}

const HOUR_MS = 60 * 60 * 1000;
export const RETENTION_DEFAULTS = { retentionMs: 7 * 24 * HOUR_MS, pruneEveryMs: HOUR_MS } as const;

export interface Pruning {
  /** Stops the timer; resolves once a prune that is running has finished. */
  stop(): Promise<void>;
}

export type RetentionSettings = Required<RetentionOptions>;

/** Applies defaults and validates; throws an Error naming the bad option (before a bus opens anything). */
export function retentionSettings(options: RetentionOptions): RetentionSettings {
  const settings = {
    retentionMs: options.retentionMs ?? RETENTION_DEFAULTS.retentionMs,
    pruneEveryMs: options.pruneEveryMs ?? RETENTION_DEFAULTS.pruneEveryMs,
  };
  for (const [key, value] of Object.entries(settings)) {
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`Invalid ${key} ${value}: expected a finite number >= 0`);
  }
  return settings;
}

/**
 * Calls `prune(before, stopping)` every `pruneEveryMs` (one at a time, never keeping the process alive), with
 * `before` = now − `retentionMs`; `prune` returns how many messages it removed and should return early once
 * `stopping()` is true. A failed prune is logged and tried again at the next tick.
 */
export function schedulePruning(
  { retentionMs, pruneEveryMs }: RetentionSettings,
  prune: (before: number, stopping: () => boolean) => Promise<number>,
  logger: Logger,
): Pruning {
  let stopped = false;
  let running: Promise<void> | undefined;
  const timer = setInterval(
    () => {
      running ??= prune(Date.now() - retentionMs, () => stopped)
        .then(
          (removed) => {
            if (removed > 0)
              logger.info({ removed, retentionMs }, "consumed events removed from the bus log");
          },
          (err: unknown) => logger.warn({ err }, "removing consumed events from the bus log failed"),
        )
        .finally(() => {
          running = undefined;
        });
    },
    Math.max(pruneEveryMs, 1),
  );
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
