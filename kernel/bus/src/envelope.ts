import { monotonicFactory } from "ulid";
import type { EventPayload, EventType } from "./catalogue.js";
import { pooledRandom } from "./random.js";

export const ActorKind = {
  User: "user",
  Token: "token",
  Recipient: "recipient",
  System: "system",
  PipelineRun: "pipeline_run",
} as const;
export type ActorKind = (typeof ActorKind)[keyof typeof ActorKind];

export interface Actor {
  kind: ActorKind;
  id: string;
}

/** The one event envelope. Events carry ids and small facts, not whole entities. */
export interface EventEnvelope<T extends EventType = EventType> {
  /** ULID; consumers dedupe on it */
  id: string;
  type: T;
  /** ISO 8601 */
  occurredAt: string;
  tenant: string;
  actor: Actor;
  /** ids of the things the event is about, e.g. { bundleId } */
  subjectIds: Record<string, string>;
  /** request id of the HTTP/gRPC call that caused the event, for log correlation */
  requestId?: string;
  /**
   * W3C trace context of the work that caused the event (stored with it in the outbox); on a delivered
   * message, the publish span's. Also sent as the NATS `traceparent` header.
   */
  traceparent?: string;
  data: EventPayload<T>;
}

const nextId = monotonicFactory(pooledRandom);

export interface NewEvent<T extends EventType> {
  type: T;
  tenant: string;
  actor: Actor;
  subjectIds?: Record<string, string>;
  requestId?: string;
  traceparent?: string;
  data: EventPayload<T>;
  occurredAt?: Date;
}

/** Builds an envelope with a fresh ULID. */
export function createEvent<T extends EventType>(input: NewEvent<T>): EventEnvelope<T> {
  const occurredAt = input.occurredAt ?? new Date();
  return {
    id: nextId(occurredAt.getTime()),
    type: input.type,
    occurredAt: occurredAt.toISOString(),
    tenant: input.tenant,
    actor: input.actor,
    subjectIds: input.subjectIds ?? {},
    ...(input.requestId ? { requestId: input.requestId } : {}),
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
    data: input.data,
  };
}
