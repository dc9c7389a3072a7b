import { AsyncLocalStorage } from "node:async_hooks";
import { type DestinationStream, type Logger as PinoLogger, pino } from "pino";
import { activeTraceIds, withoutTraceContext } from "./tracing.js";

export type Logger = PinoLogger;

export interface LoggerOptions {
  level: string;
  /** where to write; default stdout */
  destination?: DestinationStream;
}

/** Field names that must never reach a log line. */
const REDACT = [
  "token",
  "secret",
  "password",
  "passphrase",
  "authorization",
  "cookie",
  "*.token",
  "*.secret",
  "*.password",
  "*.passphrase",
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "headers.cookie",
];

/** The request a log line belongs to; added to every line written while it is in scope. */
export interface LogContext {
  requestId?: string;
  tenant?: string;
}

const scope = new AsyncLocalStorage<LogContext>();

/**
 * Runs `fn` with a request scope: every line any logger from {@link createLogger} writes inside it carries
 * `requestId` and `tenant` (and `traceId`/`spanId` of the active span). Set by the gateway per HTTP request,
 * by the gRPC server per call and by the bus per delivery.
 */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  const store: LogContext = {};
  if (fields.requestId) store.requestId = fields.requestId;
  if (fields.tenant) store.tenant = fields.tenant;
  return scope.run(store, fn);
}

/** Adds to the current request scope (e.g. the tenant, once the caller is authenticated). No-op outside one. */
export function setLogContext(fields: LogContext): void {
  const store = scope.getStore();
  if (!store) return;
  if (fields.requestId) store.requestId = fields.requestId;
  if (fields.tenant) store.tenant = fields.tenant;
}

/** The current request scope, if any. */
export function currentLogContext(): Readonly<LogContext> | undefined {
  return scope.getStore();
}

/** Runs `fn` outside any request scope and span: for background work kicked off from inside a request. */
export function detachedFromRequest<T>(fn: () => T): T {
  return scope.exit(() => withoutTraceContext(fn));
}

function requestFields(): Record<string, string> {
  const store = scope.getStore();
  const ids = activeTraceIds();
  if (!store && !ids) return {};
  return { ...store, ...ids };
}

/** The root logger. Components take `logger.child({ service })`; messages constant, data in fields. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { app: "latchflow" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: "[redacted]" },
      // fields given at the call site win over the request scope's
      mixin: requestFields,
    },
    options.destination,
  );
}
