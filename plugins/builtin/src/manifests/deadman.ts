import { DRAFT_2020_12, dateTime, duration, emails } from "./common.js";
import { PLUGIN_API_VERSION, type PluginManifest } from "./types.js";

/** `deadman@1`: fires when the owner stops checking in. */
export const deadmanManifest: PluginManifest = {
  name: "latchflow-deadman",
  version: "1.0.0",
  apiVersion: PLUGIN_API_VERSION,
  capabilities: [
    {
      kind: "trigger",
      key: "deadman",
      major: 1,
      configSchema: {
        $schema: DRAFT_2020_12,
        title: "deadman@1",
        type: "object",
        additionalProperties: false,
        required: ["checkInEvery"],
        properties: {
          checkInEvery: duration("How often the owner must check in; each check-in restarts this period.", [
            "30d",
            "1w",
          ]),
          grace: duration(
            "Extra time after a missed check-in before the trigger fires; the deadline is the last check-in + checkInEvery + grace.",
            ["7d", "12h"],
            { default: "0s" },
          ),
          remind: {
            type: "array",
            description:
              "Reminder ladder: one reminder email per entry, sent this long before the deadline (each reminder carries a signed check-in link).",
            maxItems: 10,
            uniqueItems: true,
            items: { type: "string", format: "duration" },
            default: [],
            examples: [
              ["7d", "1d"],
              ["3d", "1d", "2h"],
            ],
          },
          remindTo: emails("Who receives the reminders; defaults to the pipeline's owner.", 1, 20, [
            ["me@example.com"],
          ]),
          pausedUntil: dateTime(
            "While set and in the future the switch is paused: no reminders, no firing; the period restarts when it ends.",
            ["2030-09-01T00:00:00Z"],
          ),
        },
        examples: [
          { checkInEvery: "30d", grace: "7d", remind: ["7d", "1d"] },
          { checkInEvery: "1w", remindTo: ["me@example.com"], pausedUntil: "2030-09-01T00:00:00Z" },
        ],
      },
      outputsSchema: {
        $schema: DRAFT_2020_12,
        title: "deadman@1 trigger payload",
        type: "object",
        required: ["deadline", "remindersSent"],
        properties: {
          lastCheckInAt: {
            type: "string",
            format: "date-time",
            description:
              "The last check-in (absent if the owner never checked in since the pipeline was enabled).",
          },
          deadline: { type: "string", format: "date-time", description: "The deadline that passed." },
          remindersSent: { type: "integer", minimum: 0, description: "How many reminders were sent." },
        },
      },
      docs: "A dead-man switch: the owner must check in at least every `checkInEvery` (through `POST` on the check-in API or the signed link in each reminder); the pipeline fires once the deadline (last check-in + `checkInEvery` + `grace`) passes, and not before. `remind` is a ladder of durations before the deadline, each sending a reminder email to `remindTo` (default: the pipeline's owner). Setting `pausedUntil` pauses the switch; postponing is a check-in. The deadline is a durable timer and survives restarts. `trigger.payload` carries `lastCheckInAt`, `deadline` and `remindersSent`.",
    },
  ],
  permissions: [
    { name: "emit", reason: "Fires the pipeline when the deadline passes." },
    { name: "kv", reason: "Stores the last check-in and which reminders were sent." },
    { name: "mail.send", reason: "Sends the reminder emails." },
  ],
};
