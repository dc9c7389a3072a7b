import { DRAFT_2020_12, emails } from "./common.js";
import { PLUGIN_API_VERSION, type PluginManifest } from "./types.js";

/** 100 KB, counted in characters by the schema (the sender also enforces it in bytes). */
const MAX_BODY = 102_400;

/** `email@1`: sends one templated email. */
export const emailManifest: PluginManifest = {
  name: "latchflow-email",
  version: "1.0.0",
  apiVersion: PLUGIN_API_VERSION,
  capabilities: [
    {
      kind: "action",
      key: "email",
      major: 1,
      configSchema: {
        $schema: DRAFT_2020_12,
        title: "email@1",
        type: "object",
        additionalProperties: false,
        required: ["to", "subject", "text"],
        properties: {
          to: emails("Recipients (1 to 50 addresses).", 1, 50, [["guardian@example.com"]]),
          cc: emails("Copy recipients (up to 50 addresses).", 0, 50, [["lawyer@example.com"]]),
          subject: {
            type: "string",
            minLength: 1,
            maxLength: 200,
            description:
              "Subject template, at most 200 characters; line breaks in substituted values are replaced by spaces.",
            examples: ["Release pending", "Pipeline {{ trigger.kind }}"],
          },
          text: {
            type: "string",
            maxLength: MAX_BODY,
            description: "Plain-text body template, at most 100 KB; values are inserted as text.",
            examples: ["The archive will be released on {{ trigger.payload.deadline }}."],
          },
          html: {
            type: "string",
            maxLength: MAX_BODY,
            description:
              "Optional HTML body template, at most 100 KB; every substituted value is HTML-escaped. Sent as multipart/alternative with `text`.",
            examples: ['<p>Your link: <a href="{{ steps.publish.outputs.url }}">download</a></p>'],
          },
        },
        examples: [
          { to: ["guardian@example.com"], subject: "Release pending", text: "..." },
          {
            to: ["alice@example.com"],
            cc: ["lawyer@example.com"],
            subject: "Your archive",
            text: "Download: {{ steps.publish.outputs.url }}",
            html: '<p><a href="{{ steps.publish.outputs.url }}">Download</a></p>',
          },
        ],
      },
      outputsSchema: {
        $schema: DRAFT_2020_12,
        title: "email@1 outputs",
        type: "object",
        required: ["messageId", "accepted"],
        properties: {
          messageId: { type: "string", description: "The Message-ID of the sent email." },
          accepted: {
            type: "array",
            items: { type: "string", format: "email" },
            description: "Addresses the mail server accepted.",
          },
        },
      },
      docs: "Sends one email to `to` (1–50 addresses) and `cc`, with a `subject` (≤ 200 characters), a plain `text` body and an optional `html` body (each ≤ 100 KB). Subject and bodies are templates: `{{ trigger.* }}` reads the trigger (`kind`, `firedAt`, `payload.*`) and `{{ steps.<id>.outputs.* }}` reads the outputs of an earlier step. Substitution is always escaped, there is no raw form: in `html` values are HTML-escaped (`<`, `>`, `&`, `\"`, `'`), in `subject` line breaks become spaces (no header injection), and in `text` values are inserted as plain text; a template that names a missing value fails the step instead of sending a blank. Sending is idempotent on the step's idempotency key, so a retried step never sends twice. Outputs: `messageId`, `accepted`.",
    },
  ],
  permissions: [{ name: "mail.send", reason: "Sends the email." }],
};
