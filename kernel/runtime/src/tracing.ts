/**
 * OpenTelemetry tracing: the one place Latchflow touches the OTel API and SDK. W3C `traceparent` travels
 * HTTP → gRPC metadata → outbox row → bus message (NATS header / in-process envelope) → plugin invocation.
 * Spans are made by hand in our own helpers (gateway middleware, gRPC client/server wrappers, the bus
 * wrapper); nothing is monkeypatched. Exporting is off by default (`LATCHFLOW_OTEL_EXPORTER=none`): spans are
 * then non-recording and only the incoming `traceparent` is passed on.
 */
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { ExportResultCode, W3CTraceContextPropagator } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  TracerProvider,
} from "@opentelemetry/sdk-trace";

export type { Span };
export { SpanKind, SpanStatusCode };

/** The W3C trace context header / metadata key / NATS header. */
export const TRACEPARENT = "traceparent";
export const TRACESTATE = "tracestate";

export const TraceExporter = { None: "none", Otlp: "otlp", Console: "console" } as const;
export type TraceExporter = (typeof TraceExporter)[keyof typeof TraceExporter];

export interface TracingOptions {
  /** where finished spans go; `none` records nothing (propagation still works) */
  exporter: TraceExporter;
  /** OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); `/v1/traces` is appended. Empty = http://localhost:4318 */
  otlpEndpoint?: string;
  /** `service.name` of this process's spans, e.g. `latchflow` (embedded) or `latchflow-bundles` */
  serviceName: string;
  /** Tests: export every span synchronously to this exporter (e.g. an InMemorySpanExporter), whatever `exporter` says. */
  spanExporter?: SpanExporter;
}

export interface Tracing {
  /** Exports spans still buffered. */
  forceFlush(): Promise<void>;
  /** Flushes, stops exporting and unregisters the provider (a later `initTracing` may register another). */
  shutdown(): Promise<void>;
}

const TRACER = "latchflow";
let globalsReady = false;
/** A provider registered by `initTracing` and not shut down: spans are recorded and exported. */
let recording = false;

/**
 * Whether spans are recorded in this process. When not, a span only passes its parent's context on: a hot
 * path may skip making one and pass the incoming `traceparent` on itself (the plugin host does, ADR 051).
 */
export function spansRecorded(): boolean {
  return recording;
}

/** The context manager (AsyncLocalStorage) and the W3C propagator, registered once per process. */
function ensureGlobals(): void {
  if (globalsReady) return;
  globalsReady = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

/**
 * The OTLP/HTTP exporter, imported when tracing starts with it: its serializers (the OTLP transformer, the
 * metrics SDK, ~3 MiB resident) are not loaded by every process that exports nothing (ADR 070). Spans ended
 * before the import resolves wait for it.
 */
function otlpExporter(url: string | undefined): SpanExporter {
  const loaded = import("@opentelemetry/exporter-trace-otlp-http").then(
    ({ OTLPTraceExporter }) => new OTLPTraceExporter(url ? { url } : {}),
  );
  return {
    export(spans, done) {
      loaded.then(
        (exporter) => exporter.export(spans, done),
        (error: Error) => done({ code: ExportResultCode.FAILED, error }),
      );
    },
    shutdown: async () => (await loaded).shutdown(),
    forceFlush: async () => (await loaded).forceFlush(),
  };
}

function exporterFor(options: TracingOptions): SpanExporter | undefined {
  if (options.spanExporter) return options.spanExporter;
  if (options.exporter === TraceExporter.Console) return new ConsoleSpanExporter();
  if (options.exporter === TraceExporter.Otlp) {
    const base = options.otlpEndpoint?.replace(/\/+$/, "");
    return otlpExporter(base ? `${base}/v1/traces` : undefined);
  }
  return undefined;
}

/**
 * Starts tracing for this process: called once at start (the CLI) or by a test. With exporter `none` no
 * provider is registered, so spans cost almost nothing. Returns the handle to flush and shut it down.
 */
export function initTracing(options: TracingOptions): Tracing {
  ensureGlobals();
  const exporter = exporterFor(options);
  if (!exporter) return { forceFlush: async () => {}, shutdown: async () => {} };
  const processor =
    options.spanExporter || options.exporter === TraceExporter.Console
      ? new SimpleSpanProcessor({ exporter })
      : new BatchSpanProcessor({ exporter });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": options.serviceName }),
    spanProcessors: [processor],
  });
  if (!trace.setGlobalTracerProvider(provider)) {
    throw new Error("A tracer provider is already registered: shut the previous tracing down first");
  }
  recording = true;
  let stopped: Promise<void> | undefined;
  return {
    forceFlush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= (async () => {
        await provider.shutdown();
        trace.disable();
        recording = false;
      })();
      return stopped;
    },
  };
}

/** Not cached: a tracer bound to a provider that was shut down would keep exporting to nowhere. */
function tracer() {
  return trace.getTracer(TRACER);
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** the parent context; default the active one */
  parent?: Context;
}

/**
 * Runs `fn` inside a new active span. A throw or rejection marks the span as an error (the exception is
 * recorded) and is rethrown; the span always ends.
 */
export function withSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  ensureGlobals();
  const parent = options.parent ?? context.active();
  return tracer().startActiveSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      ...(options.attributes ? { attributes: options.attributes } : {}),
    },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        failSpan(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/** Marks a span as failed with the error (message and type only; never an error's details). */
export function failSpan(span: Span, err: unknown, message?: string): void {
  if (err instanceof Error) span.recordException(err);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: message ?? (err instanceof Error ? err.message : String(err)),
  });
}

/** A string-keyed carrier (HTTP headers, gRPC metadata, NATS headers, a plain object). */
export type TraceCarrier = Record<string, string | string[] | undefined>;

const getter = {
  keys: (carrier: TraceCarrier) => Object.keys(carrier),
  get: (carrier: TraceCarrier, key: string) => carrier[key] ?? carrier[key.toLowerCase()],
};

/**
 * The parent context of incoming work (an HTTP request, a gRPC call, a bus delivery): the remote span in
 * the carrier's `traceparent`, else none. Always extracted from the root context, never the active one —
 * connection callbacks can carry the context of whichever call opened the connection.
 */
export function extractTraceContext(carrier: TraceCarrier | undefined): Context {
  ensureGlobals();
  if (!carrier) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier, getter);
}

/** The parent context named by a `traceparent` value (root when absent or malformed). */
export function contextFromTraceparent(traceparent: string | undefined, tracestate?: string): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return extractTraceContext({
    [TRACEPARENT]: traceparent,
    ...(tracestate ? { [TRACESTATE]: tracestate } : {}),
  });
}

/** The `traceparent` (and `tracestate`, when any) of a context, for outgoing metadata or headers. */
export function traceHeaders(ctx: Context = context.active()): { traceparent?: string; tracestate?: string } {
  ensureGlobals();
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  const out: { traceparent?: string; tracestate?: string } = {};
  if (carrier[TRACEPARENT]) out.traceparent = carrier[TRACEPARENT];
  if (carrier[TRACESTATE]) out.tracestate = carrier[TRACESTATE];
  return out;
}

/** The active span's `traceparent`, if any: store it with work that continues later (outbox rows, plugin calls). */
export function currentTraceparent(): string | undefined {
  return traceHeaders().traceparent;
}

/** Trace and span id of the active span, for log lines; undefined when there is no valid one. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getSpan(context.active());
  if (!span) return undefined;
  const sc = span.spanContext();
  if (!trace.isSpanContextValid(sc)) return undefined;
  return { traceId: sc.traceId, spanId: sc.spanId };
}

/** Runs `fn` with no active span: for background loops started from inside a request. */
export function withoutTraceContext<T>(fn: () => T): T {
  return context.with(ROOT_CONTEXT, fn);
}
