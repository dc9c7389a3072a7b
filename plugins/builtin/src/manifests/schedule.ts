import { DRAFT_2020_12, dateTime, timeZone } from "./common.js";
import { PLUGIN_API_VERSION, type PluginManifest } from "./types.js";

/** `schedule@1`: fires exactly once at a given date and time. */
export const scheduleManifest: PluginManifest = {
  name: "latchflow-schedule",
  version: "1.0.0",
  apiVersion: PLUGIN_API_VERSION,
  capabilities: [
    {
      kind: "trigger",
      key: "schedule",
      major: 1,
      configSchema: {
        $schema: DRAFT_2020_12,
        title: "schedule@1",
        type: "object",
        additionalProperties: false,
        required: ["at"],
        properties: {
          at: dateTime("When to fire: an RFC 3339 date-time with an explicit offset (`Z` or `±hh:mm`).", [
            "2030-01-01T09:00:00Z",
            "2030-06-15T18:30:00+02:00",
          ]),
          timeZone: timeZone(
            "IANA time zone used only to display `at` in run history and notifications; the instant itself is fixed by the offset in `at`.",
          ),
        },
        examples: [
          { at: "2030-01-01T09:00:00Z" },
          { at: "2030-06-15T18:30:00+02:00", timeZone: "Europe/Berlin" },
        ],
      },
      outputsSchema: {
        $schema: DRAFT_2020_12,
        title: "schedule@1 trigger payload",
        type: "object",
        required: ["scheduledAt", "late"],
        properties: {
          scheduledAt: { type: "string", format: "date-time", description: "The `at` instant." },
          late: {
            type: "boolean",
            description: "True when the kernel was down at `at` and fired on startup instead.",
          },
        },
      },
      docs: "Fires the pipeline exactly once, at `at` (an RFC 3339 date-time that must carry an offset, e.g. `2030-01-01T09:00:00Z`). The date is a durable timer that survives restarts: if the kernel was down at that instant the trigger fires once on startup with `late: true`, and it never fires again, even after further restarts or if the pipeline is re-applied unchanged. Changing `at` schedules a new single firing. A date in the past when the pipeline is applied fires immediately. `timeZone` only affects how the date is displayed.",
    },
  ],
  permissions: [
    { name: "emit", reason: "Fires the pipeline at the scheduled instant." },
    { name: "kv", reason: "Records that it has fired so it never fires twice." },
  ],
};
