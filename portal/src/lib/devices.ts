import { deviceKind } from "@latchflow/api/user-agent";
import { m } from "#lib/paraglide/messages.js";

/** "Chrome on Android", in the reader's language, from a user agent. */
export function describeUserAgent(userAgent: string): string {
  const { browser, os } = deviceKind(userAgent);
  if (browser && os) return m.devices_kind({ browser, os });
  if (browser) return browser;
  if (os) return m.devices_kind_os({ os });
  return m.devices_kind_unknown();
}

/** The device's name, or "Unnamed device". */
export const deviceName = (d: { name: string }) => d.name || m.devices_unnamed();

/** How the portal writes a pairing code: upper case, two groups of four ("K7PX-3MQD"). */
export function formatPairingCode(input: string): string {
  const code = input.toUpperCase().replace(/[^0-9A-Z]/g, "");
  return code.length > 4 ? `${code.slice(0, 4)}-${code.slice(4, 8)}` : code;
}
