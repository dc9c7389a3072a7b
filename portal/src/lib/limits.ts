import { m } from "#lib/paraglide/messages.js";
import { formatDate, formatDuration } from "./format.js";

/** The limits of one assignment as the portal API reports them (GET /api/v1/portal/bundles). */
export interface Limits {
  enabled: boolean;
  maxDownloads: number;
  remaining: number | null;
  notBefore: string | null;
  notAfter: string | null;
  nextAvailableAt: string | null;
  passphraseRequired: boolean;
  /** the sender's message ("" = none) and whether it must be acknowledged before downloading */
  message: string;
  acknowledgementRequired: boolean;
  acknowledgedAt: string | null;
}

/** The sender asked for an acknowledgement of their message and it has not been given yet. */
export const unacknowledged = (a: Limits) => a.acknowledgementRequired && !a.acknowledgedAt;

/** Whether a download can start now, and if not, what holds it. */
export type Availability =
  | { state: "ready" }
  | { state: "disabled" }
  | { state: "not_open"; at: Date }
  | { state: "closed"; at: Date }
  | { state: "used_up" }
  | { state: "cooldown"; at: Date };

export function availability(a: Limits, now: number): Availability {
  if (!a.enabled) return { state: "disabled" };
  if (a.notBefore && Date.parse(a.notBefore) > now) return { state: "not_open", at: new Date(a.notBefore) };
  if (a.notAfter && Date.parse(a.notAfter) <= now) return { state: "closed", at: new Date(a.notAfter) };
  if (a.remaining === 0) return { state: "used_up" };
  if (a.nextAvailableAt && Date.parse(a.nextAvailableAt) > now) {
    return { state: "cooldown", at: new Date(a.nextAvailableAt) };
  }
  return { state: "ready" };
}

/** One line per limit, in plain words; `live` marks the lines that count down every second. */
export function limitLines(a: Limits, now: number): { text: string; live?: boolean; key: string }[] {
  const lines: { text: string; live?: boolean; key: string }[] = [];
  const av = availability(a, now);
  if (av.state === "disabled") return [{ key: "disabled", text: m.refusal_assignment_disabled() }];
  if (av.state === "closed") return [{ key: "closed", text: m.limit_closed({ date: formatDate(av.at) }) }];
  if (av.state === "not_open") {
    lines.push({ key: "opens", text: m.limit_opens({ date: formatDate(av.at) }) });
    lines.push({
      key: "opens-in",
      text: m.limit_opens_in({ time: formatDuration(av.at.getTime() - now) }),
      live: true,
    });
  }
  if (a.remaining === null) lines.push({ key: "count", text: m.limit_unlimited() });
  else if (a.remaining === 0) lines.push({ key: "count", text: m.limit_none_left({ max: a.maxDownloads }) });
  else lines.push({ key: "count", text: m.limit_left({ left: a.remaining, max: a.maxDownloads }) });
  if (av.state === "cooldown") {
    lines.push({
      key: "cooldown",
      text: m.limit_cooldown({ time: formatDuration(av.at.getTime() - now) }),
      live: true,
    });
  }
  if (a.notAfter && av.state !== "not_open") {
    const at = Date.parse(a.notAfter);
    lines.push({
      key: "closes",
      text: m.limit_closes({ date: formatDate(a.notAfter), time: formatDuration(at - now) }),
      live: at - now < 3_600_000,
    });
  }
  if (a.passphraseRequired && av.state !== "used_up")
    lines.push({ key: "passphrase", text: m.limit_passphrase() });
  return lines;
}
