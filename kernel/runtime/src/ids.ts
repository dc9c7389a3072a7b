import { pooledRandom } from "@latchflow/bus";
import { monotonicFactory } from "ulid";

const next = monotonicFactory(pooledRandom);

/**
 * A new ULID. Monotonic within this process, so ids made in one transaction sort in creation order
 * (cursor pagination and "newest first" rely on it).
 */
export function newId(at: Date = new Date()): string {
  return next(at.getTime());
}
