import { MESSAGE_RULE, PASSPHRASE_RULE } from "@latchflow/plugin-sdk";
import { bundleName, DRAFT_2020_12, dateTime, duration, recipientEmails } from "./common.js";
import { PLUGIN_API_VERSION, type PluginManifest } from "./types.js";

/** `grant@1`: assigns a bundle to recipients and tells them by email. */
export const grantManifest: PluginManifest = {
  name: "latchflow-grant",
  version: "1.0.0",
  apiVersion: PLUGIN_API_VERSION,
  capabilities: [
    {
      kind: "action",
      key: "grant",
      major: 1,
      configSchema: {
        $schema: DRAFT_2020_12,
        title: "grant@1",
        type: "object",
        additionalProperties: false,
        required: ["bundle", "recipients"],
        properties: {
          bundle: bundleName("Name of the bundle to assign."),
          recipients: recipientEmails("Recipients to assign the bundle to (1 to 500 addresses).", 1, 500, [
            ["alice@example.com", "bob@example.com"],
          ]),
          maxDownloads: {
            type: "integer",
            minimum: 0,
            default: 0,
            description: "Downloads each recipient may make; 0 means unlimited.",
            examples: [3],
          },
          cooldown: duration("Minimum time between two downloads by the same recipient.", ["1h", "10m"]),
          notBefore: dateTime("Downloads are refused before this instant (default: immediately).", [
            "2030-01-01T00:00:00Z",
          ]),
          notAfter: dateTime("Downloads are refused after this instant; use either this or `expiresIn`.", [
            "2030-12-31T23:59:59Z",
          ]),
          expiresIn: duration(
            "Downloads are refused this long after the grant (or after `notBefore`); use either this or `notAfter`.",
            ["30d"],
          ),
          passphrase: {
            type: "string",
            minLength: PASSPHRASE_RULE.minLength,
            maxLength: PASSPHRASE_RULE.maxLength,
            description:
              "Extra passphrase recipients must enter before downloading; stored hashed. Tell it to them through another channel.",
            examples: ["correct horse battery staple"],
          },
          notify: {
            type: "boolean",
            default: true,
            description: "Email each recipient that the bundle is available to them.",
            examples: [false],
          },
          message: {
            type: "string",
            maxLength: MESSAGE_RULE.maxLength,
            description:
              "What you want each recipient to read: shown on the bundle's portal page before the download (as plain text, never markup) and included in the notification email. Same templates as email@1; tab and newline are the only control characters allowed.",
            examples: ["Dad wanted you to have these."],
          },
          requireAcknowledgement: {
            type: "boolean",
            default: false,
            description:
              'Each recipient must confirm "I have read this message" before their first download (recorded in the audit log). Needs `message`.',
            examples: [true],
          },
        },

        dependentSchemas: {
          expiresIn: {
            description: "`notAfter` and `expiresIn` are mutually exclusive.",
            properties: { notAfter: false },
          },
          requireAcknowledgement: {
            description: "`requireAcknowledgement: true` needs a `message` to acknowledge.",
            if: { properties: { requireAcknowledgement: { const: true } } },
            // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a thenable
            then: { required: ["message"] },
          },
        },
        examples: [
          {
            bundle: "family-archive",
            recipients: ["alice@example.com"],
            maxDownloads: 3,
            cooldown: "1h",
            expiresIn: "30d",
            message: "Dad wanted you to have these.",
          },
          {
            bundle: "family-archive",
            recipients: ["alice@example.com", "bob@example.com"],
            notBefore: "2030-01-01T00:00:00Z",
            notAfter: "2030-12-31T23:59:59Z",
            notify: false,
          },
          {
            bundle: "family-archive",
            recipients: ["alice@example.com"],
            message: "Dad wanted you to have these. Please read his letter first.",
            requireAcknowledgement: true,
          },
        ],
      },
      outputsSchema: {
        $schema: DRAFT_2020_12,
        title: "grant@1 outputs",
        type: "object",
        required: ["assignmentIds", "notified"],
        properties: {
          assignmentIds: {
            type: "array",
            items: { type: "string" },
            description: "Ids of the assignments created (one per recipient).",
          },
          notified: {
            type: "array",
            items: { type: "string", format: "email" },
            description: "Recipients who were emailed (empty when `notify` is false).",
          },
        },
      },
      docs: "Assigns `bundle` to each of `recipients` (1–500) with per-recipient limits: `maxDownloads` (0 = unlimited), a `cooldown` between downloads, and an access window from `notBefore` to either `notAfter` or `expiresIn` (not both). An optional `passphrase` is required before downloading. An optional `message` (plain text, at most 4000 characters) is shown to each recipient on the bundle's portal page before the download; with `requireAcknowledgement` they must confirm having read it before their first download (audited). With `notify` (default true) each recipient gets an email, including `message`, telling them how to sign in to the portal. An assignment that already exists is left as it is (limits, message and acknowledgement alike). Re-running the step with the same idempotency key changes nothing. Outputs: `assignmentIds` and `notified` (the addresses emailed).",
    },
  ],
  permissions: [
    { name: "bundles.grant", reason: "Creates the assignments, scoped to the pipeline owner's bundles." },
    { name: "mail.send", reason: "Tells recipients by email." },
  ],
};
