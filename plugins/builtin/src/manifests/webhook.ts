import { DRAFT_2020_12, secretName } from "./common.js";
import { PLUGIN_API_VERSION, type PluginManifest } from "./types.js";

/** `webhook@1`: fires on a signed HTTP POST to `/hooks/{pipeline}/{trigger}`. */
export const webhookManifest: PluginManifest = {
  name: "latchflow-webhook",
  version: "1.0.0",
  apiVersion: PLUGIN_API_VERSION,
  capabilities: [
    {
      kind: "trigger",
      key: "webhook",
      major: 1,
      configSchema: {
        $schema: DRAFT_2020_12,
        title: "webhook@1",
        type: "object",
        additionalProperties: false,
        required: ["secretName"],
        properties: {
          secretName: secretName(
            "Name of this plugin's secret holding the HMAC-SHA256 key that callers sign requests with.",
            ["github-hook-key"],
          ),
          maxBodyBytes: {
            type: "integer",
            minimum: 1,
            maximum: 1_048_576,
            default: 65_536,
            description: "Largest accepted request body in bytes; larger requests get 413.",
            examples: [65_536, 262_144],
          },
          toleranceSeconds: {
            type: "integer",
            minimum: 1,
            maximum: 3_600,
            default: 300,
            description:
              "Replay window: requests whose signed timestamp is further than this from the server clock get 401, and a signature already seen inside the window is rejected.",
            examples: [300],
          },
        },
        examples: [
          { secretName: "github-hook-key" },
          { secretName: "ci-key", maxBodyBytes: 262_144, toleranceSeconds: 120 },
        ],
      },
      outputsSchema: {
        $schema: DRAFT_2020_12,
        title: "webhook@1 trigger payload",
        type: "object",
        required: ["receivedAt", "headers", "body"],
        properties: {
          receivedAt: { type: "string", format: "date-time", description: "When the request arrived." },
          contentType: { type: "string", description: "The request's Content-Type, if any." },
          headers: {
            type: "object",
            additionalProperties: { type: "string" },
            description: "Request headers, lower-cased names; `authorization` and `cookie` are removed.",
          },
          body: { description: "The body parsed as JSON when it is JSON, otherwise the raw text." },
        },
      },
      docs: "Exposes a public `POST /hooks/{pipeline}/{trigger}` endpoint and fires the pipeline for each authentic request. Callers send `X-Latchflow-Timestamp` (Unix seconds) and `X-Latchflow-Signature: sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<raw body>` keyed with the plugin secret named by `secretName`. A missing or wrong signature gets 401, a timestamp outside `toleranceSeconds` (default 300, i.e. 5 minutes) or a replayed signature gets 401, and a body over `maxBodyBytes` (default 64 KiB, at most 1 MiB) gets 413. `trigger.payload` carries `receivedAt`, `contentType`, `headers` and the parsed `body`.",
    },
  ],
  permissions: [
    { name: "emit", reason: "Fires the pipeline for each authentic request." },
    { name: "secrets", reason: "Reads the HMAC key named by `secretName`." },
    { name: "kv", reason: "Remembers signatures seen inside the replay window." },
  ],
};
