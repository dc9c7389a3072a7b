import type { Host } from "@latchflow/plugin-sdk";

/** kv key of the signatures seen inside the replay window. */
const SEEN_KEY = "seenSignatures";
/** The stored list never grows past this; when it is full, new requests are refused (fail closed). */
export const MAX_SEEN = 1_000;
/** 128 bits of the signature are enough to recognise a replay and halve what is stored. */
const ID_LENGTH = 32;

type Seen = [id: string, timestampMs: number][];

export type ReplayCheck = "fresh" | "replayed" | "full";

/**
 * Records a signature in the replay window, unless it was seen already or the window is full. Entries
 * whose timestamp has left the window (`|now − timestamp| > tolerance`) are pruned first: such requests
 * are refused as expired anyway. Two requests racing in parallel invocations are not serialised here.
 */
export async function recordSignature(
  host: Host,
  signatureHex: string,
  timestampMs: number,
  nowMs: number,
  toleranceMs: number,
): Promise<ReplayCheck> {
  const id = signatureHex.toLowerCase().slice(0, ID_LENGTH);
  const stored = await host.kv.get(SEEN_KEY);
  const seen = (Array.isArray(stored) ? (stored as Seen) : []).filter(
    (entry) => Array.isArray(entry) && Math.abs(nowMs - entry[1]) <= toleranceMs,
  );
  if (seen.some(([seenId]) => seenId === id)) return "replayed";
  if (seen.length >= MAX_SEEN) {
    await host.kv.set(SEEN_KEY, seen);
    return "full";
  }
  seen.push([id, timestampMs]);
  await host.kv.set(SEEN_KEY, seen);
  return "fresh";
}
