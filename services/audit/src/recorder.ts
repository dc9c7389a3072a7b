import type { EventEnvelope } from "@latchflow/bus";
import type { Database } from "@latchflow/runtime";
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import { AuditRecord } from "./entities.js";

/** Stores one event. Idempotent on the event id: a redelivery or a duplicate publish is a no-op. */
export async function recordEvent(db: Database, event: EventEnvelope): Promise<"stored" | "duplicate"> {
  const em = db.em();
  if (await em.findOne(AuditRecord, { id: event.id }, { fields: ["id"] })) return "duplicate";
  try {
    await em.insert(AuditRecord, {
      id: event.id,
      tenant: event.tenant,
      type: event.type,
      occurredAt: new Date(event.occurredAt),
      recordedAt: new Date(),
      actorKind: event.actor.kind,
      actorId: event.actor.id,
      subjectIds: JSON.stringify(event.subjectIds ?? {}),
      requestId: event.requestId ?? "",
      data: JSON.stringify(event.data ?? {}),
    });
    return "stored";
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) return "duplicate";
    throw err;
  }
}
