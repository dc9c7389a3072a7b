import {
  DiscardPolicy,
  JetStreamApiCodes,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { type NatsConnection, nanos } from "@nats-io/transport-node";
import { SUBJECT_ROOT } from "../subjects.js";

const STREAM_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const NAMESPACE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Stream deduplication window (Nats-Msg-Id = event id). */
export const DUPLICATE_WINDOW_MS = 2 * 60_000;

export interface StreamSettings {
  /** JetStream stream name */
  stream: string;
  /** Optional subject prefix isolating deployments or tests on one server: `<namespace>.lf.…` */
  namespace?: string;
}

/** Throws unless the stream name and namespace are usable. */
export function assertStreamSettings({ stream, namespace }: StreamSettings): void {
  if (!STREAM_NAME.test(stream)) {
    throw new Error(`Invalid stream name ${JSON.stringify(stream)}: expected ^[A-Za-z0-9_-]{1,255}$`);
  }
  if (namespace !== undefined && !NAMESPACE.test(namespace)) {
    throw new Error(
      `Invalid namespace ${JSON.stringify(namespace)}: expected dot-separated [A-Za-z0-9_-]+ tokens`,
    );
  }
}

/** The prefix (`"<namespace>."` or `""`) put in front of every subject and filter. */
export function subjectPrefix(namespace: string | undefined): string {
  return namespace === undefined ? "" : `${namespace}.`;
}

/**
 * Creates the event stream, or updates it to the expected configuration: subjects `[<namespace>.]lf.>`,
 * file storage, limits retention, 2-minute duplicate window.
 */
export async function ensureStream(nc: NatsConnection, settings: StreamSettings): Promise<void> {
  assertStreamSettings(settings);
  const jsm = await jetstreamManager(nc);
  const config = {
    subjects: [`${subjectPrefix(settings.namespace)}${SUBJECT_ROOT}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  };
  const exists = await jsm.streams.info(settings.stream).then(
    () => true,
    (err: unknown) => {
      if (isNotFound(err)) return false;
      throw err;
    },
  );
  if (exists) {
    const { storage: _storage, retention: _retention, ...updatable } = config;
    await jsm.streams.update(settings.stream, updatable);
  } else {
    await jsm.streams.add({ name: settings.stream, ...config });
  }
}

/** Deletes a stream (tests, decommissioning); resolves false when it did not exist. */
export async function deleteStream(nc: NatsConnection, stream: string): Promise<boolean> {
  const jsm = await jetstreamManager(nc);
  return jsm.streams.delete(stream).catch((err: unknown) => {
    if (isNotFound(err)) return false;
    throw err;
  });
}

/** JetStream "stream not found" / "consumer not found" API errors. */
export function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === JetStreamApiCodes.StreamNotFound || code === JetStreamApiCodes.ConsumerNotFound;
}
