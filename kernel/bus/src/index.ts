export type {
  BatchHandler,
  BatchItem,
  BatchSubscribeOptions,
  Delivery,
  EventBus,
  EventHandler,
  SubscribeOptions,
  Subscription,
} from "./bus.js";
export {
  EVENT_TYPES,
  type EventCatalogue,
  type EventPayload,
  type EventType,
  isEventType,
  type PluginSignatureData,
} from "./catalogue.js";
export { SUBSCRIBE_DEFAULTS } from "./consumer-options.js";
export { type Actor, ActorKind, createEvent, type EventEnvelope, type NewEvent } from "./envelope.js";
export { createInProcessBus, type InProcessBusOptions } from "./in-process-bus.js";
export { pooledRandom } from "./random.js";
export { RETENTION_DEFAULTS, type RetentionOptions } from "./retention.js";
export { createWalSync, type WalSync } from "./sqlite/wal-sync.js";
export {
  assertEventType,
  assertFilter,
  assertTenant,
  matchSubject,
  SUBJECT_ROOT,
  type SubjectFilterParts,
  subjectFilter,
  subjectFor,
} from "./subjects.js";
