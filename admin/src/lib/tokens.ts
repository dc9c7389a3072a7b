import type { schemas } from "@latchflow/api";

type Token = schemas.Token;

export type TokenState = "active" | "expired" | "revoked";

/** Whether a token still works: revoked wins over expired. */
export function tokenState(t: Pick<Token, "revokedAt" | "expiresAt">, now: Date): TokenState {
  if (t.revokedAt) return "revoked";
  if (t.expiresAt && new Date(t.expiresAt) <= now) return "expired";
  return "active";
}

export const TOKEN_STATE_LABEL: Readonly<Record<TokenState, string>> = {
  active: "Active",
  expired: "Expired",
  revoked: "Revoked",
};

/** Lifetimes offered for a new token, in days ("" = no expiry of its own: the creating credential's). */
export const EXPIRY_CHOICES: readonly { days: string; label: string }[] = [
  { days: "7", label: "7 days" },
  { days: "30", label: "30 days" },
  { days: "90", label: "90 days" },
  { days: "365", label: "1 year" },
  { days: "", label: "No expiry" },
];

/** Active tokens first, then the newest. */
export const byStateThenNewest = (now: Date) => (a: Token, b: Token) => {
  const rank = (t: Token) => (tokenState(t, now) === "active" ? 0 : 1);
  return rank(a) - rank(b) || b.createdAt.localeCompare(a.createdAt);
};
