import { type FileHandle, open } from "node:fs/promises";

/**
 * Group commit for a SQLite database in WAL mode with `synchronous = NORMAL`: a commit then only writes its
 * frames to the WAL (safe against a killed process: the OS holds them), and `flush()` makes every frame
 * written so far durable with one `fdatasync` of the WAL file, run off the event loop. Commits that finish
 * while a sync is in flight share the next one, so N concurrent commits cost one or two syncs instead of N
 * (SQLite's own `synchronous = FULL` syncs once per commit, synchronously, on the calling thread).
 */
export interface WalSync {
  /** Resolves once every commit that returned before the call is on disk. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createWalSync(databaseFile: string): WalSync {
  const walFile = `${databaseFile}-wal`;
  let handle: FileHandle | undefined;
  let inFlight: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  let closed = false;

  const syncOnce = async () => {
    if (closed) return;
    if (!handle) {
      try {
        handle = await open(walFile, "r");
      } catch (err) {
        // no WAL yet: nothing was written since the database was created (or it was checkpointed away)
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
    }
    await handle.datasync();
  };

  const flush = (): Promise<void> => {
    if (!inFlight) {
      inFlight = syncOnce().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    }
    // the sync in flight may have started before this caller's commit: it waits for the following one
    next ??= inFlight
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return flush();
      });
    return next;
  };

  return {
    flush,
    async close() {
      closed = true;
      await Promise.allSettled([inFlight, next]);
      await handle?.close();
      handle = undefined;
    },
  };
}
