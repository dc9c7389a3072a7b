import {
  createEvent,
  type EventBus,
  type EventEnvelope,
  type EventPayload,
  type EventType,
} from "@latchflow/bus";
import { type EntityManager, sql } from "@mikro-orm/knex";
import { actorOf, type RequestContext } from "../context.js";
import { type Database, sqlDate, sqlTable } from "../db/database.js";
import { rowsAlone, runInTransaction } from "../db/in-transaction.js";
import { detachedFromRequest, type Logger } from "../logger.js";
import { registerOutboxBacklog } from "../metrics.js";
import { currentTraceparent } from "../tracing.js";
import { OutboxMessage } from "./outbox-entity.js";

/**
 * Builds the event of a request (tenant, actor and request id from its context, trace context from the
 * active span) and writes it to the outbox in the caller's transaction: it commits (or rolls back) together
 * with the state change. The one way services emit events; call the relay's `nudge()` after the commit.
 */
export function emitEvent<T extends EventType>(
  tx: EntityManager,
  ctx: RequestContext,
  type: T,
  subjectIds: Record<string, string>,
  data: EventPayload<T>,
): Promise<void> {
  return insertEvents(tx, [requestEvent(ctx, type, subjectIds, data)]);
}

/** The event of a request as {@link emitEvent} builds it, for a caller that writes several with {@link insertEvents}. */
export function requestEvent<T extends EventType>(
  ctx: RequestContext,
  type: T,
  subjectIds: Record<string, string>,
  data: EventPayload<T>,
): EventEnvelope {
  return createEvent({
    type,
    tenant: ctx.tenant,
    actor: actorOf(ctx),
    subjectIds,
    requestId: ctx.requestId,
    ...traceparentField(),
    data,
  });
}

/** Statement texts of the outbox INSERT, by schema and number of rows. */
const insertTexts = new Map<string, string>();

/**
 * Writes events to the outbox in `tx`'s transaction, now, with one INSERT and bound values (refused outside a
 * transaction: the row would commit apart from its change). The one outbox write; call the relay's `nudge()`
 * after the commit.
 */
export async function insertEvents(tx: EntityManager, events: readonly EventEnvelope[]): Promise<void> {
  if (events.length === 0) return;
  const key = `${tx.config.get("schema") ?? ""}|${events.length}`;
  let text = insertTexts.get(key);
  if (!text) {
    text = `INSERT INTO ${sqlTable(tx, "lf_outbox")} (id, type, tenant, envelope, created_at, sent_at, attempts, last_error) VALUES ${events.map(() => "(?, ?, ?, ?, ?, NULL, 0, NULL)").join(", ")}`;
    insertTexts.set(key, text);
  }
  const values: unknown[] = [];
  for (const e of events) {
    values.push(e.id, e.type, e.tenant, JSON.stringify(e), new Date(e.occurredAt));
  }
  await runInTransaction(tx, text, values);
}

function traceparentField(): { traceparent?: string } {
  const traceparent = currentTraceparent();
  return traceparent ? { traceparent } : {};
}

export interface OutboxRelayOptions {
  db: Database;
  bus: EventBus;
  logger: Logger;
  /** how often to look for unsent rows when not nudged; default 1000 ms */
  pollMs?: number;
  batchSize?: number;
  /** delay before retrying after the bus refused a publish; default 500 ms, doubled up to 30 s */
  retryMs?: number;
  /**
   * In a burst of writes, how long a nudge waits for further commits to publish with, so that they go out as one
   * batch (one bus sync, one delivery and audit transaction downstream) instead of one each; default
   * {@link OUTBOX_LINGER_MS}. A nudge after a quiet spell (no nudged drain in the last `lingerMs`) publishes at
   * once. Bounds how much later than its commit an event is published; 0 = always at once.
   */
  lingerMs?: number;
  /** `service` label of the backlog gauge; default the logger's `service` binding */
  service?: string;
}

export interface OutboxRelay {
  start(): void;
  /** Publish soon after a commit (at once, or in a burst within `lingerMs` with its other commits), not at the next poll. */
  nudge(): void;
  /** Number of unsent rows (for metrics and tests). */
  backlog(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Default wait of a nudge in a burst (ADR 071): the follow-up work of a write (publish, delivery, audit append)
 * runs once for the writes of these milliseconds, not once per write on the event loop the next request needs.
 */
const OUTBOX_LINGER_MS = 10;

/**
 * Publishes committed outbox rows in id (ULID, so creation) order and marks them sent. At-least-once:
 * a crash between publish and mark re-publishes the event with the same id, and the bus dedupes on it.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, bus } = options;
  const logger = options.logger.child({ component: "outbox" });
  const service = options.service ?? String(options.logger.bindings().service ?? "unknown");
  const table = sqlTable(db, "lf_outbox");
  let unregister: (() => void) | undefined;
  const pollMs = options.pollMs ?? 1000;
  const batchSize = options.batchSize ?? 100;
  const baseRetryMs = options.retryMs ?? 500;
  let retryMs = baseRetryMs;
  const lingerMs = options.lingerMs ?? OUTBOX_LINGER_MS;
  let linger: NodeJS.Timeout | undefined;
  /** when a nudge last started a drain (performance.now()) */
  let lastNudged = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;

  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => kick(), ms);
  };

  /**
   * One batch: its events are published together (pipelined on NATS, one group commit in-process), then the
   * published ones are marked sent with one UPDATE. A failure leaves the rest unsent for the next try.
   */
  const drainOnce = async (): Promise<number> => {
    // plain SQL straight to a connection of the pool: the relay reads on every event's path, needs no entities
    const rows = (
      await rowsAlone(db, `SELECT id, envelope FROM ${table} WHERE sent_at IS NULL ORDER BY id LIMIT ?`, [
        batchSize,
      ])
    ).map((row) => ({ id: String(row.id), envelope: String(row.envelope) }));
    if (rows.length === 0 || stopped) return rows.length;
    const events = rows.map((row) => JSON.parse(row.envelope) as EventEnvelope);
    const results = await Promise.allSettled(events.map((event) => bus.publish(event)));
    const sent = rows.filter((_, i) => results[i]?.status === "fulfilled");
    if (sent.length > 0) {
      // the bus has them durably: losing this mark in a power cut only re-publishes them (deduplicated by id),
      // so it does not wait for the disk (rowsAlone commits it without the group commit's sync)
      await rowsAlone(
        db,
        `UPDATE ${table} SET sent_at = ?, attempts = attempts + 1 WHERE id IN (${sent.map(() => "?").join(", ")})`,
        [sqlDate(db, new Date()), ...sent.map((row) => row.id)],
      );
    }
    for (const event of events) {
      logger.debug(
        { eventId: event.id, type: event.type, requestId: event.requestId, tenant: event.tenant },
        "event published",
      );
    }
    const failed = results.findIndex((r) => r.status === "rejected");
    if (failed === -1) return rows.length;
    const err = (results[failed] as PromiseRejectedResult).reason;
    await db
      .em()
      .nativeUpdate(
        OutboxMessage,
        { id: { $in: rows.filter((_, i) => results[i]?.status === "rejected").map((row) => row.id) } },
        { attempts: sql`attempts + 1`, lastError: String((err as Error)?.message ?? err).slice(0, 500) },
      );
    throw err;
  };

  const run = async () => {
    try {
      let n: number;
      do {
        again = false;
        n = await drainOnce();
      } while ((n === batchSize || again) && !stopped);
      retryMs = baseRetryMs;
      schedule(pollMs);
    } catch (err) {
      logger.warn({ err: (err as Error).message, retryInMs: retryMs }, "outbox publish failed");
      schedule(retryMs);
      retryMs = Math.min(retryMs * 2, 30_000);
    }
  };

  const kick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    // nudged from inside a request: the loop (and its timers) must not carry that request's scope
    running = detachedFromRequest(run).finally(() => {
      running = undefined;
    });
  };
  const backlog = () => db.em().count(OutboxMessage, { sentAt: null });

  return {
    start() {
      stopped = false;
      unregister ??= registerOutboxBacklog(service, backlog);
      kick();
    },
    nudge() {
      if (linger) return;
      // quiet (no nudged drain in the last lingerMs): at once; in a burst: with the burst's other commits
      const wait = lastNudged + lingerMs - performance.now();
      if (wait <= 0) {
        lastNudged = performance.now();
        kick();
        return;
      }
      linger = setTimeout(() => {
        linger = undefined;
        lastNudged = performance.now();
        kick();
      }, wait);
    },
    backlog,
    async stop() {
      stopped = true;
      unregister?.();
      unregister = undefined;
      clearTimeout(timer);
      clearTimeout(linger);
      linger = undefined;
      await running;
    },
  };
}
