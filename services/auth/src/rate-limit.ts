import { ErrorCode, LatchflowError } from "@latchflow/runtime";
import { type Database, sqlTable } from "@latchflow/runtime/db";

export interface Limit {
  /** what is limited, e.g. "admin-start:ip" */
  name: string;
  max: number;
  windowSeconds: number;
}

/** The limits of the auth endpoints (per IP and per identity/email). */
export const LIMITS = {
  adminStartPerIp: { name: "admin-start:ip", max: 20, windowSeconds: 600 },
  adminStartPerEmail: { name: "admin-start:email", max: 5, windowSeconds: 600 },
  callbackPerIp: { name: "admin-callback:ip", max: 30, windowSeconds: 600 },
  recipientStartPerIp: { name: "recipient-start:ip", max: 20, windowSeconds: 600 },
  recipientVerifyPerIp: { name: "recipient-verify:ip", max: 30, windowSeconds: 600 },
  deviceCodePerIp: { name: "device-code:ip", max: 20, windowSeconds: 600 },
  deviceTokenPerIp: { name: "device-token:ip", max: 600, windowSeconds: 600 },
  failedAuthPerIp: { name: "auth-failed:ip", max: 100, windowSeconds: 60 },
  /** pairing codes entered (right or wrong) per IP: bounds code guessing (ADR 025) */
  pairingClaimPerIp: { name: "pairing-claim:ip", max: 10, windowSeconds: 600 },
  /** a claimant polls every few seconds for at most the code's 10 minutes */
  pairingPollPerIp: { name: "pairing-poll:ip", max: 600, windowSeconds: 600 },
  pairingStartPerRecipient: { name: "pairing-start:recipient", max: 20, windowSeconds: 600 },
} as const satisfies Record<string, Limit>;

/** The general limit of every auth endpoint, per IP and per identity (LATCHFLOW_AUTH_RATE_LIMIT per minute). */
export function authEndpointLimits(perMinute: number): { perIp: Limit; perIdentity: Limit } {
  return {
    perIp: { name: "auth-endpoint:ip", max: perMinute, windowSeconds: 60 },
    perIdentity: { name: "auth-endpoint:identity", max: perMinute, windowSeconds: 60 },
  };
}

export interface RateLimiter {
  /** Counts one hit; throws rate_limited (with retryAfterSeconds) once over the limit. */
  hit(limit: Limit, subject: string | undefined, now?: Date): Promise<void>;
}

/**
 * Fixed-window counters in the auth database, so every replica shares them (SQLite embedded, Postgres
 * distributed). One atomic upsert per hit.
 */
export function createRateLimiter(db: Database): RateLimiter {
  const table = sqlTable(db, "rate_limits");
  const sql = `INSERT INTO ${table} (key, window_start, count) VALUES (?, ?, 1)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN ${table}.window_start = excluded.window_start THEN ${table}.count + 1 ELSE 1 END,
      window_start = excluded.window_start
    RETURNING count`;
  return {
    async hit(limit, subject, now = new Date()) {
      if (!subject) return;
      const windowMs = limit.windowSeconds * 1000;
      const windowStart = Math.floor(now.getTime() / windowMs) * windowMs;
      const key = `${limit.name}:${subject}`.slice(0, 200);
      const rows = (await db.em().getConnection().execute(sql, [key, windowStart])) as {
        count: number | string;
      }[];
      const count = Number(rows[0]?.count ?? 0);
      if (count > limit.max) {
        const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + windowMs - now.getTime()) / 1000));
        throw new LatchflowError(ErrorCode.RateLimited, "Too many requests, try again later", {
          details: { retryAfterSeconds },
        });
      }
    },
  };
}
