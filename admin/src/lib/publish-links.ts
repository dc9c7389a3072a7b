import type { schemas } from "@latchflow/api";

type PublishLink = schemas.PublishLink;

/** Where a publish link stands: only an active one downloads. */
export type LinkState = "active" | "used-up" | "expired" | "revoked";

export function linkState(link: PublishLink, now: Date): LinkState {
  if (link.revokedAt) return "revoked";
  if (new Date(link.expiresAt).getTime() <= now.getTime()) return "expired";
  if (link.maxUses > 0 && link.uses >= link.maxUses) return "used-up";
  return "active";
}

export const LINK_STATE_LABEL: Readonly<Record<LinkState, string>> = {
  active: "Active",
  "used-up": "Used up",
  expired: "Expired",
  revoked: "Revoked",
};

/** Downloads so far and what is left: “1 of 5 used, 4 left”, “3 used, no limit”. */
export function usesText(link: Pick<PublishLink, "uses" | "maxUses">): string {
  const used = `${link.uses} ${link.uses === 1 ? "download" : "downloads"}`;
  if (link.maxUses === 0) return `${used}, no limit`;
  const left = Math.max(0, link.maxUses - link.uses);
  return `${link.uses} of ${link.maxUses} used, ${left} left`;
}

/** How long a new link may live, as offered (the server takes 1 minute to 1 year). */
export const LIFETIMES: readonly { seconds: number; label: string }[] = [
  { seconds: 3600, label: "1 hour" },
  { seconds: 86_400, label: "1 day" },
  { seconds: 7 * 86_400, label: "7 days" },
  { seconds: 30 * 86_400, label: "30 days" },
  { seconds: 90 * 86_400, label: "90 days" },
  { seconds: 365 * 86_400, label: "1 year" },
];

/** The “Maximum downloads” field: empty is no limit; otherwise a whole number from 1 to 1,000,000. */
export function parseMaxUses(raw: string): { maxUses: number } | { error: string } {
  const text = raw.trim().replace(/[ ,_]/g, "");
  if (text === "") return { maxUses: 0 };
  if (!/^\d+$/.test(text))
    return { error: "Enter a whole number of downloads, or leave it empty for no limit." };
  const n = Number(text);
  if (n < 1 || n > 1_000_000) return { error: "Enter a number from 1 to 1,000,000, or leave it empty." };
  return { maxUses: n };
}
