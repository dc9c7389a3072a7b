import { DRAFT_2020_12 } from "./common.js";
import { PLUGIN_API_VERSION, type PluginManifest } from "./types.js";

/** `manual@1`: fired by a person through `POST /api/v1/pipelines/{name}/runs`. */
export const manualManifest: PluginManifest = {
  name: "latchflow-manual",
  version: "1.0.0",
  apiVersion: PLUGIN_API_VERSION,
  capabilities: [
    {
      kind: "trigger",
      key: "manual",
      major: 1,
      configSchema: {
        $schema: DRAFT_2020_12,
        title: "manual@1",
        type: "object",
        additionalProperties: false,
        properties: {
          payloadSchema: {
            type: "object",
            description:
              "Optional JSON Schema (draft 2020-12) the payload of a manual run must match; runs with a non-matching payload are refused with 422.",
            examples: [
              {
                type: "object",
                required: ["reason"],
                properties: { reason: { type: "string", minLength: 1 } },
              },
            ],
          },
        },
        examples: [{}, { payloadSchema: { type: "object", properties: { reason: { type: "string" } } } }],
      },
      outputsSchema: {
        $schema: DRAFT_2020_12,
        title: "manual@1 trigger payload",
        type: "object",
        required: ["payload", "requestedBy"],
        properties: {
          payload: { description: "The JSON payload given with the run (`{}` when none)." },
          requestedBy: { type: "string", description: "Id of the user or API token that started the run." },
        },
      },
      docs: "Fires the pipeline when a person asks for it with `POST /api/v1/pipelines/{name}/runs` and an optional JSON payload. When `payloadSchema` is set, the payload must match that JSON Schema or the run is refused with 422 and nothing starts. `trigger.payload` carries the `payload` and `requestedBy` (the user or token id).",
    },
  ],
  permissions: [{ name: "emit", reason: "Fires the pipeline when a run is requested." }],
};
