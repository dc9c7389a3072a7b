import { type EventBus, type Subscription, subjectFilter } from "@latchflow/bus";
import type { Logger } from "@latchflow/runtime";
import type { AuditLog } from "./audit-log.js";

/** Durable consumer name shared by every audit replica (they split the work). */
export const AUDIT_CONSUMER = "audit";

/**
 * Most events recorded per delivery: one transaction and one chain-head lock per tenant for all of them.
 * Under a trickle each event is recorded alone, at once; under a backlog up to this many go together.
 */
export const AUDIT_BATCH = 500;

/**
 * Records every event of the bus in its tenant's chain, in batches: the events a replica holds at once are
 * appended together (idempotent on the event id). A batch that fails is rolled back per tenant and
 * redelivered whole; what an earlier tenant's transaction committed is skipped as duplicates then.
 */
export function subscribeRecorder(bus: EventBus, log: AuditLog, logger: Logger): Promise<Subscription> {
  return bus.subscribeBatch(
    { consumer: AUDIT_CONSUMER, filter: subjectFilter({}), maxBatch: AUDIT_BATCH },
    async (items) => {
      const outcome = await log.append(items.map((i) => i.event));
      if (!logger.isLevelEnabled("debug")) return;
      for (const { event } of items) {
        logger.debug(
          { eventId: event.id, type: event.type, requestId: event.requestId, tenant: event.tenant },
          "event recorded",
        );
      }
      logger.debug({ events: items.length, ...outcome }, "batch recorded");
    },
  );
}
