import type { Logger } from "@latchflow/runtime";

/**
 * Work done after the answer has left, one task at a time in order of arrival (so a resend decided by one
 * request sees the code written by the one before). Failures are logged, never thrown at a caller.
 */
export interface Background {
  run(what: string, task: () => Promise<void>): void;
  /** resolves once every task queued so far has finished (the service waits for it before closing) */
  drain(): Promise<void>;
}

export interface BackgroundOptions {
  /**
   * How long a task waits before it starts. In the embedded mode the gateway shares this process's event
   * loop and SQLite calls are synchronous: started at once, the work would still hold the answer back.
   */
  settleMs?: number;
  /** tasks waiting at most; more are dropped (and logged) rather than queued without bound under a flood */
  maxQueued?: number;
}

export function createBackground(logger: Logger, options: BackgroundOptions = {}): Background {
  const settleMs = options.settleMs ?? 50;
  const maxQueued = options.maxQueued ?? 1000;
  let tail: Promise<void> = Promise.resolve();
  let queued = 0;
  const waiting = new Set<Promise<void>>();
  return {
    run(what, task) {
      if (queued >= maxQueued) {
        logger.warn({ task: what, queued }, "background queue full: task dropped");
        return;
      }
      queued++;
      const started = new Promise<void>((resolve) => setTimeout(resolve, settleMs)).then(() => {
        tail = tail
          .then(task)
          .catch((err: unknown) => {
            logger.error({ task: what, err: (err as Error)?.message }, "background task failed");
          })
          .finally(() => {
            queued--;
          });
      });
      waiting.add(started);
      void started.finally(() => waiting.delete(started));
    },
    async drain() {
      await Promise.all([...waiting]);
      await tail;
    },
  };
}
