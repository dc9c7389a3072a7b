import { DRAFT_2020_12, duration, secretName } from "./common.js";
import { PLUGIN_API_VERSION, type PluginManifest } from "./types.js";

/** Header names the step may not set (case-insensitive): credentials and routing belong to the host. */
const FORBIDDEN_HEADER =
  "^(?:[Aa][Uu][Tt][Hh][Oo][Rr][Ii][Zz][Aa][Tt][Ii][Oo][Nn]|[Cc][Oo][Oo][Kk][Ii][Ee]|[Hh][Oo][Ss][Tt])$";

/** A duration of at most 30 seconds: `1s`…`30s`, `1ms`…`30000ms` or `PT1S`…`PT30S`. */
const UP_TO_30S =
  "^(?:(?:[1-9]|[12][0-9]|30)s|(?:[1-9][0-9]{0,3}|[12][0-9]{4}|30000)ms|PT(?:[1-9]|[12][0-9]|30)S)$";

/** An RFC 9110 field name (token). */
const HEADER_TOKEN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

/** `http@1`: an outgoing webhook, optionally HMAC-signed. */
export const httpManifest: PluginManifest = {
  name: "latchflow-http",
  version: "1.0.0",
  apiVersion: PLUGIN_API_VERSION,
  capabilities: [
    {
      kind: "action",
      key: "http",
      major: 1,
      configSchema: {
        $schema: DRAFT_2020_12,
        title: "http@1",
        type: "object",
        additionalProperties: false,
        required: ["url"],
        properties: {
          url: {
            type: "string",
            format: "uri",
            pattern: "^https://",
            maxLength: 2048,
            description:
              "HTTPS URL to call; loopback, private, link-local and metadata addresses are refused after DNS resolution.",
            examples: ["https://hooks.example.com/latchflow"],
          },
          method: {
            type: "string",
            enum: ["POST", "PUT", "PATCH"],
            default: "POST",
            description: "HTTP method.",
            examples: ["PUT"],
          },
          headers: {
            type: "object",
            description:
              "Extra request headers; `Authorization`, `Cookie` and `Host` are not allowed (use `signWithSecret` to authenticate).",
            maxProperties: 50,
            propertyNames: { pattern: HEADER_TOKEN, not: { pattern: FORBIDDEN_HEADER } },
            additionalProperties: { type: "string", maxLength: 8192 },
            examples: [{ "X-Source": "latchflow" }],
          },
          body: {
            description:
              "Any JSON value, sent as `application/json`; may use `{{ trigger.* }}` / `{{ steps.<id>.outputs.* }}` in strings.",
            examples: [{ event: "released", url: "{{ steps.publish.outputs.url }}" }],
          },
          signWithSecret: secretName(
            "Name of this plugin's secret holding an HMAC-SHA256 key; when set the request is signed like webhook@1 expects.",
            ["partner-hook-key"],
          ),
          timeout: duration(
            "How long to wait for the response, at most 30 seconds, written in whole seconds (`30s`, `PT30S`) or milliseconds (`2500ms`).",
            ["10s", "30s", "2500ms"],
            { default: "10s", pattern: UP_TO_30S },
          ),
        },
        examples: [
          { url: "https://hooks.example.com/latchflow", body: { event: "released" } },
          {
            url: "https://api.example.com/v1/events",
            method: "PUT",
            headers: { "X-Source": "latchflow" },
            signWithSecret: "partner-hook-key",
            timeout: "30s",
          },
        ],
      },
      outputsSchema: {
        $schema: DRAFT_2020_12,
        title: "http@1 outputs",
        type: "object",
        required: ["status", "body"],
        properties: {
          status: { type: "integer", description: "The response status code." },
          body: {
            description:
              "The response body parsed as JSON when it is JSON, otherwise its text (at most 1 MiB).",
          },
        },
      },
      docs: "Calls an HTTPS `url` with `method` (POST, PUT or PATCH; default POST), extra `headers` (never `Authorization`, `Cookie` or `Host`) and an optional JSON `body` whose strings may use `{{ trigger.* }}` and `{{ steps.<id>.outputs.* }}`. With `signWithSecret` the request carries `X-Latchflow-Timestamp` and `X-Latchflow-Signature: sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<body>` keyed with that plugin secret — the same scheme webhook@1 checks. The call goes through the host's `fetch`: egress must be approved by an admin, and loopback, private, link-local and metadata addresses are refused after DNS resolution. `timeout` (default 10s) is capped at 30s. A 2xx response succeeds, 5xx and 429 fail retryably, other statuses fail permanently. Outputs: `status`, `body`. The step's idempotency key is sent as `Idempotency-Key`.",
    },
  ],
  permissions: [
    {
      name: "fetch",
      hosts: ["*"],
      requiresApproval: true,
      reason: "Calls the configured URL; any public host, so an admin must approve.",
    },
    { name: "secrets", reason: "Reads the signing key named by `signWithSecret`." },
  ],
  limits: { wallClockMs: 35_000 },
};
