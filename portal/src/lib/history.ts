import { m } from "#lib/paraglide/messages.js";

/** How many downloads the history page loads at a time ("Show more" adds as many). */
export const HISTORY_PAGE = 20;

/** The device a download went to, in words: the name given to it, else this one, a new one, or another. */
export function deviceLabel(d: {
  deviceName: string | null;
  thisDevice: boolean;
  newDevice: boolean;
}): string {
  if (d.deviceName) return d.deviceName;
  if (d.thisDevice) return m.history_this_device();
  return d.newDevice ? m.history_new_device() : m.history_other_device();
}
