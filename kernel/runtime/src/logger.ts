import { type DestinationStream, type Logger as PinoLogger, pino } from "pino";

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

/** The root logger. Components take `logger.child({ service })`; messages constant, data in fields. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { app: "latchflow" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: "[redacted]" },
    },
    options.destination,
  );
}
