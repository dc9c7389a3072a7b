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

/** Fields of database driver errors that carry row values (PostgreSQL's `detail` names the failing row). */
const DB_VALUE_FIELDS = [
  "detail",
  "where",
  "internalQuery",
  "query",
  "sql",
  "params",
  "parameters",
  "bindings",
];

type ErrorLike = Error & { cause?: unknown; code?: unknown };

/** A database driver error (MikroORM's exceptions copy the driver's fields), anywhere in the cause chain. */
function fromDatabase(err: unknown): boolean {
  for (let e = err as ErrorLike | undefined, n = 0; e && typeof e === "object" && n < 10; n++) {
    if ("routine" in e || "sqlState" in e || /^SQLITE_/.test(String(e.code))) return true;
    if (/Exception$/.test(e.constructor?.name ?? "")) return true;
    e = e.cause as ErrorLike | undefined;
  }
  return false;
}

/** Quoted literals a driver message may hold (`'…'`, and `: "…"` as in "invalid input syntax …: "x""). */
function scrubValues(text: string): string {
  return text.replace(/'(?:[^']|'')*'/g, "'[redacted]'").replace(/: "(?:[^"\\]|\\.)*"/g, ': "[redacted]"');
}

/**
 * pino's error serializer, minus the values a failed SQL statement carries. MikroORM 6 inlines every value
 * into the statement text it sends (`platform.formatQuery`), and knex prefixes a failed statement's error
 * message with that text (`<sql> - <driver message>`): for a database error only the driver's message is
 * kept (quoted literals masked), the stack keeps its frames, and driver fields naming row values are dropped.
 */
function errSerializer(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown;
  if (!fromDatabase(err) || typeof out !== "object" || out === null) return out;
  const o = out as Record<string, unknown>;
  for (const k of DB_VALUE_FIELDS) delete o[k];
  // MikroORM appends PostgreSQL's detail (which names the row's values) as "\n - detail: …" lines
  const message = (typeof o.message === "string" ? o.message : "")
    .split("\n")
    .filter((l) => !/^\s*- (detail|where|internalQuery):/.test(l))
    .join("\n");
  const cut = message.lastIndexOf(" - ");
  o.message = scrubValues(cut >= 0 ? message.slice(cut + 3) : message);
  if (typeof o.stack === "string") {
    const frames = o.stack.split("\n").filter((l) => /^\s+at /.test(l));
    o.stack = [`${String(o.type)}: ${o.message}`, ...frames].join("\n");
  }
  return o;
}

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
      serializers: { err: errSerializer },
      // fields given at the call site win over the request scope's
      mixin: requestFields,
    },
    options.destination,
  );
}
