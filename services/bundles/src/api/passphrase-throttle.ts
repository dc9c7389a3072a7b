import { PassphraseReason } from "@latchflow/api";
import { ErrorCode, LatchflowError, permissionDenied, type RequestContext } from "@latchflow/runtime";
import { type Database, sqlTable } from "@latchflow/runtime/db";
import { verify } from "@node-rs/argon2";

/** How many wrong passphrases lock further tries, and for how long (per assignment and per client IP). */
export const PASSPHRASE_LIMITS = {
  perAssignment: { scope: "assignment", maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
  perIp: { scope: "ip", maxFailures: 10, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
} as const;

type Limit = (typeof PASSPHRASE_LIMITS)[keyof typeof PASSPHRASE_LIMITS];

/**
 * Failure counters in the bundles database, so every replica shares them (SQLite embedded, Postgres
 * distributed): a fixed window per key, and a lock once a key reaches its limit. Times are epoch ms.
 */
function createCounters(db: Database) {
  const table = sqlTable(db, "passphrase_attempts");
  const conn = () => db.em().getConnection();
  const count = `INSERT INTO ${table} (key, window_start, failures, locked_until) VALUES (?, ?, 1, 0)
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN ${table}.window_start > ? THEN ${table}.failures + 1 ELSE 1 END,
      window_start = CASE WHEN ${table}.window_start > ? THEN ${table}.window_start ELSE excluded.window_start END
    RETURNING failures`;
  return {
    /** the latest lock end among `keys` that is still ahead of `now` (0 = none) */
    async lockedUntil(keys: string[], now: number): Promise<number> {
      const rows = (await conn().execute(
        `SELECT locked_until FROM ${table} WHERE key IN (${keys.map(() => "?").join(", ")}) AND locked_until > ?`,
        [...keys, now],
      )) as { locked_until: number | string }[];
      return Math.max(0, ...rows.map((r) => Number(r.locked_until)));
    },
    /** counts one try (before it is verified, so concurrent tries cannot outrun the limit); the count */
    async count(key: string, limit: Limit, now: number): Promise<number> {
      const since = now - limit.windowMs;
      const rows = (await conn().execute(count, [key, now, since, since])) as { failures: number | string }[];
      return Number(rows[0]?.failures ?? 0);
    },
    /**
     * Locks the key. The count is kept: tries that passed the lock check concurrently keep counting above the
     * limit and are refused unverified (resetting it here gave each burst five fresh guesses). The count
     * starts over with the next window, which has passed when the lock ends (lock ≥ window).
     */
    async lock(key: string, limit: Limit, now: number): Promise<void> {
      await conn().execute(`UPDATE ${table} SET locked_until = ? WHERE key = ?`, [now + limit.lockMs, key]);
    },
    /** a right passphrase: forgets the assignment's wrong tries, gives the IP its try back */
    async forgive(assignmentKey: string, ipKey: string | undefined, now: number): Promise<void> {
      await conn().execute(`DELETE FROM ${table} WHERE key = ? AND locked_until <= ?`, [assignmentKey, now]);
      if (ipKey) {
        await conn().execute(`UPDATE ${table} SET failures = failures - 1 WHERE key = ? AND failures > 0`, [
          ipKey,
        ]);
      }
    },
  };
}

function locked(until: number, now: number): LatchflowError {
  return new LatchflowError(ErrorCode.RateLimited, "Too many wrong passphrases, try again later", {
    details: {
      reason: PassphraseReason.Locked,
      retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)),
      availableAt: new Date(until).toISOString(),
    },
  });
}

export interface PassphraseCheck {
  db: Database;
  ctx: RequestContext;
  assignmentId: string;
  passphraseHash: string;
  passphrase: string;
  now: Date;
  /** records the refusal (audited as `bundles.download.denied` with its reason) and returns the error */
  refuse: (err: LatchflowError) => Promise<LatchflowError>;
}

/**
 * Checks a download passphrase, throttled like the sign-in codes: after too many wrong tries for one
 * assignment, or from one client IP, every try (the right passphrase too) is refused with 429 and
 * `retryAfterSeconds` until the lock ends. Each refusal is audited with its reason.
 */
export async function checkPassphrase(check: PassphraseCheck): Promise<void> {
  const counters = createCounters(check.db);
  const now = check.now.getTime();
  const ip = check.ctx.client?.ip;
  const keyed = [
    { key: `assignment:${check.assignmentId}`, limit: PASSPHRASE_LIMITS.perAssignment },
    ...(ip ? [{ key: `ip:${ip}`.slice(0, 200), limit: PASSPHRASE_LIMITS.perIp }] : []),
  ];
  const lockedUntil = await counters.lockedUntil(
    keyed.map((k) => k.key),
    now,
  );
  if (lockedUntil > now) throw await check.refuse(locked(lockedUntil, now));
  if (!check.passphrase) {
    throw await check.refuse(
      permissionDenied("This download needs the passphrase", { reason: PassphraseReason.Required }),
    );
  }
  const counts = await Promise.all(keyed.map(({ key, limit }) => counters.count(key, limit, now)));
  const overLimit = keyed.filter(({ limit }, i) => (counts[i] ?? 0) > limit.maxFailures);
  if (overLimit.length > 0) {
    // tries raced past a limit before its lock was written: lock now, verify nothing
    for (const { key, limit } of overLimit) await counters.lock(key, limit, now);
    throw await check.refuse(locked(now + Math.max(...overLimit.map(({ limit }) => limit.lockMs)), now));
  }
  if (await verify(check.passphraseHash, check.passphrase)) {
    await counters.forgive(keyed[0]!.key, keyed[1]?.key, now);
    return;
  }
  for (const [i, { key, limit }] of keyed.entries()) {
    if ((counts[i] ?? 0) >= limit.maxFailures) await counters.lock(key, limit, now);
  }
  throw await check.refuse(permissionDenied("Wrong passphrase", { reason: PassphraseReason.Invalid }));
}
