import { DRAFT_2020_12, timeZone } from "./common.js";
import { PLUGIN_API_VERSION, type PluginManifest } from "./types.js";

/** 5 fields (minute first) or 6 fields (seconds first), or a nickname such as `@daily`. */
const CRON_PATTERN =
  "^\\s*(?:@(?:yearly|annually|monthly|weekly|daily|hourly)|[0-9A-Za-z*/,?#-]+(?:\\s+[0-9A-Za-z*/,?#-]+){4,5})\\s*$";

/** `cron@1`: fires on a cron schedule in a time zone. */
export const cronManifest: PluginManifest = {
  name: "latchflow-cron",
  version: "1.0.0",
  apiVersion: PLUGIN_API_VERSION,
  capabilities: [
    {
      kind: "trigger",
      key: "cron",
      major: 1,
      configSchema: {
        $schema: DRAFT_2020_12,
        title: "cron@1",
        type: "object",
        additionalProperties: false,
        required: ["schedule"],
        properties: {
          schedule: {
            type: "string",
            description:
              "Cron expression: 5 fields (minute hour day-of-month month day-of-week), 6 fields (seconds first), or one of @yearly, @annually, @monthly, @weekly, @daily, @hourly.",
            pattern: CRON_PATTERN,
            examples: ["0 9 * * MON", "*/15 * * * *", "0 0 12 1 * *", "@daily"],
          },
          timeZone: timeZone(
            "IANA time zone the schedule is read in; wall-clock times follow daylight saving changes (a skipped local time fires at the next valid instant, a repeated one fires once).",
          ),
          missedRun: {
            type: "string",
            enum: ["skip", "runOnce"],
            default: "skip",
            description:
              "What to do with ticks missed while the kernel was down: `skip` drops them, `runOnce` fires once on startup for all missed ticks together.",
            examples: ["runOnce"],
          },
        },
        examples: [
          { schedule: "0 9 * * MON", timeZone: "Europe/Berlin" },
          { schedule: "*/15 * * * *", missedRun: "runOnce" },
        ],
      },
      outputsSchema: {
        $schema: DRAFT_2020_12,
        title: "cron@1 trigger payload",
        type: "object",
        required: ["scheduledAt", "missed"],
        properties: {
          scheduledAt: { type: "string", format: "date-time", description: "The tick this run is for." },
          missed: {
            type: "integer",
            minimum: 0,
            description: "How many ticks were missed before this one (only non-zero with `runOnce`).",
          },
        },
      },
      docs: "Fires the pipeline on a cron schedule (`schedule`, 5 or 6 fields, or a nickname such as `@daily`) read in an IANA `timeZone` (default `UTC`), DST-correct: a local time skipped by a daylight-saving change fires at the next valid instant and a repeated one fires once. Ticks are durable timers, so they survive restarts; `missedRun` decides whether ticks missed while the kernel was down are dropped (`skip`, the default) or collapsed into a single run on startup (`runOnce`). `trigger.payload` carries `scheduledAt` and `missed`.",
    },
  ],
  permissions: [
    { name: "emit", reason: "Fires the pipeline on each tick." },
    { name: "kv", reason: "Remembers the last tick it fired for." },
  ],
};
