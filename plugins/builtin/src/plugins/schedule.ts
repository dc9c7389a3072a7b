import { type Host, type Json, triggerInput } from "@latchflow/plugin-sdk";
import { defineBuiltin } from "../lib/define.js";
import { unsupported } from "../lib/responses.js";
import { instantMs, iso, ON_TIME_MS } from "../lib/time.js";
import { scheduleManifest } from "../manifests/schedule.js";

/**
 * One kv entry per instant that fired (`fired:<ISO>`), so re-applying the pipeline unchanged, a restart
 * or a timer delivered twice never fires again, while a new `at` gets its own single firing.
 */
const firedKey = (at: string): string => `fired:${at}`;

export const schedulePlugin = defineBuiltin(scheduleManifest, async (raw: Json, host: Host) => {
  const input = triggerInput(raw);
  const atMs = instantMs(input.config.at, "at");
  const at = iso(atMs);
  const now = instantMs(input.now, "now");
  const event = input.event;
  if (event.type === "status") {
    const fired = (await host.kv.get(firedKey(at))) as { firedAt?: string } | null;
    const body: { [key: string]: Json } = { at, fired: fired !== null };
    if (typeof fired?.firedAt === "string") body.firedAt = fired.firedAt;
    return { response: { status: 200, body } };
  }
  if (event.type !== "arm" && event.type !== "timer") return unsupported(event, input.trigger.uses);

  if ((await host.kv.get(firedKey(at))) !== null) return { timers: [] };
  // arm, or a timer that came early: wait for `at` (an instant in the past is due at once: the kernel
  // fires it immediately, and the timer below reports it late)
  if (event.type === "arm" || now < atMs) return { timers: [{ key: "at", at }] };

  const late = now - atMs > ON_TIME_MS;
  host.emit({ kind: "fired", payload: { scheduledAt: at, late } });
  await host.kv.set(firedKey(at), { firedAt: iso(now), late });
  return { timers: [] };
});
