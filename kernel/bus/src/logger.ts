import { type Logger, pino } from "pino";

export type { Logger };

/** The logger used when none is injected: pino at level `silent`. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
