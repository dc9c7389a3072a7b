import {
  type Config,
  type Logger,
  type Mailer,
  permissionDenied,
  type RequestContext,
  unauthenticated,
} from "@latchflow/runtime";
import type { Database, OutboxRelay } from "@latchflow/runtime/db";
import type { Background } from "./background.js";
import type { KeyedHash } from "./hash-key.js";
import type { RateLimiter } from "./rate-limit.js";

/** Lifetimes and limits of the identity flows. */
export const SETTINGS = {
  magicLinkTtlMs: 15 * 60_000,
  otpTtlMs: 10 * 60_000,
  otpMaxAttempts: 5,
  otpResendMs: 60_000,
  otpMaxPerHour: 5,
  deviceTtlSeconds: 600,
  deviceIntervalSeconds: 5,
  /** how often a session's last_seen_at is written */
  sessionTouchMs: 60_000,
} as const;

/** Everything the auth API modules share. */
export interface AuthContext {
  db: Database;
  relay: OutboxRelay;
  limiter: RateLimiter;
  /** HMAC under the server's hash key: how OTP codes and magic-link tokens are stored */
  keyedHash: KeyedHash;
  mailer: Mailer;
  /** work done after answering (sign-in starts: the same answer, in the same time, for every address) */
  background: Background;
  config: Config;
  logger: Logger;
  now: () => Date;
}

/** The signed-in user behind a request (session or token), or unauthenticated. */
export function callerUserId(ctx: RequestContext): string {
  const c = ctx.caller;
  if (c?.kind === "token" && c.userId) return c.userId;
  if (c?.kind === "user") return c.id;
  throw unauthenticated();
}

/** Recipient or user session id of the caller, when signed in with a cookie. */
export function callerSession(ctx: RequestContext): {
  sessionId: string;
  kind: "user" | "recipient";
  subjectId: string;
} {
  const c = ctx.caller;
  if (!c?.sessionId) throw permissionDenied("This needs a signed-in browser session");
  if (c.kind === "recipient") return { sessionId: c.sessionId, kind: "recipient", subjectId: c.id };
  if (c.kind === "user") return { sessionId: c.sessionId, kind: "user", subjectId: c.id };
  throw permissionDenied("This needs a signed-in browser session");
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
export function isEmail(email: string): boolean {
  return EMAIL.test(email) && email.length <= 320;
}
