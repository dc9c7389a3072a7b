import type { EventBus, EventEnvelope } from "@latchflow/bus";
import { withLogContext } from "./logger.js";
import { busConsumerLagSeconds, busDeliveriesTotal, busPublishedTotal } from "./metrics.js";
import { contextFromTraceparent, currentTraceparent, SpanKind, withSpan } from "./tracing.js";

const INSTRUMENTED = Symbol.for("latchflow.bus.instrumented");

export interface InstrumentBusOptions {
  /** `messaging.system` of the spans */
  transport: "nats" | "in-process";
}

/**
 * The bus as every service sees it (through `createBusFromConfig`): publishing makes a producer span —
 * a child of the event's stored `traceparent` (the request that caused it, via the outbox) — and puts
 * that span's context on the message; each delivery runs in a consumer span continuing it, inside a log
 * scope with the event's request id and tenant. Counts publishes, deliveries and consumer lag.
 */
export function instrumentBus(bus: EventBus, options: InstrumentBusOptions): EventBus {
  if ((bus as { [INSTRUMENTED]?: true })[INSTRUMENTED]) return bus;
  const system = options.transport;
  const wrapped: EventBus & { [INSTRUMENTED]: true } = {
    [INSTRUMENTED]: true,
    publish(event) {
      return withSpan(
        `publish ${event.type}`,
        {
          kind: SpanKind.PRODUCER,
          ...(event.traceparent ? { parent: contextFromTraceparent(event.traceparent) } : {}),
          attributes: messageAttributes(system, event),
        },
        async () => {
          const traceparent = currentTraceparent() ?? event.traceparent;
          try {
            await bus.publish(traceparent ? { ...event, traceparent } : event);
          } catch (err) {
            busPublishedTotal.inc({ type: event.type, outcome: "error" });
            throw err;
          }
          busPublishedTotal.inc({ type: event.type, outcome: "ok" });
        },
      );
    },
    subscribe(subscribeOptions, handler) {
      const consumer = subscribeOptions.metricsName ?? subscribeOptions.consumer;
      return bus.subscribe(subscribeOptions, (event, delivery) => {
        const occurred = Date.parse(event.occurredAt);
        if (Number.isFinite(occurred)) {
          busConsumerLagSeconds.observe({ consumer }, Math.max(0, (Date.now() - occurred) / 1000));
        }
        return withLogContext({ requestId: event.requestId, tenant: event.tenant }, () =>
          withSpan(
            `process ${event.type}`,
            {
              kind: SpanKind.CONSUMER,
              parent: contextFromTraceparent(event.traceparent),
              attributes: {
                ...messageAttributes(system, event),
                "messaging.consumer.group.name": consumer,
                "messaging.delivery.attempt": delivery.attempt,
              },
            },
            async () => {
              try {
                await handler(event, delivery);
              } catch (err) {
                busDeliveriesTotal.inc({ consumer, type: event.type, outcome: "error" });
                throw err;
              }
              busDeliveriesTotal.inc({ consumer, type: event.type, outcome: "ok" });
            },
          ),
        );
      });
    },
    subscribeBatch(subscribeOptions, handler) {
      const consumer = subscribeOptions.metricsName ?? subscribeOptions.consumer;
      return bus.subscribeBatch(subscribeOptions, (items) => {
        const now = Date.now();
        for (const { event } of items) {
          const occurred = Date.parse(event.occurredAt);
          if (Number.isFinite(occurred)) {
            busConsumerLagSeconds.observe({ consumer }, Math.max(0, (now - occurred) / 1000));
          }
        }
        const count = (outcome: "ok" | "error") => {
          for (const { event } of items) busDeliveriesTotal.inc({ consumer, type: event.type, outcome });
        };
        // one consumer span per event, each continuing its own producer's trace, all open around the
        // handler (nested: the innermost is active inside it) and all failed when it throws
        const spanned = (i: number): Promise<void> => {
          const item = items[i];
          if (!item) return handler(items);
          return withSpan(
            `process ${item.event.type}`,
            {
              kind: SpanKind.CONSUMER,
              parent: contextFromTraceparent(item.event.traceparent),
              attributes: {
                ...messageAttributes(system, item.event),
                "messaging.consumer.group.name": consumer,
                "messaging.delivery.attempt": item.delivery.attempt,
                "messaging.batch.message_count": items.length,
              },
            },
            () => spanned(i + 1),
          );
        };
        const run = async () => {
          try {
            await spanned(0);
          } catch (err) {
            count("error");
            throw err;
          }
          count("ok");
        };
        // a batch of one runs in its event's log scope, as `subscribe` does
        const only = items.length === 1 ? items[0]!.event : undefined;
        return only ? withLogContext({ requestId: only.requestId, tenant: only.tenant }, run) : run();
      });
    },
    ping: () => bus.ping(),
    close: () => bus.close(),
  };
  return wrapped;
}

function messageAttributes(system: string, event: EventEnvelope) {
  return {
    "messaging.system": system,
    "messaging.destination.name": event.type,
    "messaging.message.id": event.id,
    "latchflow.tenant": event.tenant,
    ...(event.requestId ? { "latchflow.request_id": event.requestId } : {}),
  };
}
