import { bundleName, DRAFT_2020_12, duration } from "./common.js";
import { PLUGIN_API_VERSION, type PluginManifest } from "./types.js";

/** `publish@1`: creates a signed public download link for a bundle. */
export const publishManifest: PluginManifest = {
  name: "latchflow-publish",
  version: "1.0.0",
  apiVersion: PLUGIN_API_VERSION,
  capabilities: [
    {
      kind: "action",
      key: "publish",
      major: 1,
      configSchema: {
        $schema: DRAFT_2020_12,
        title: "publish@1",
        type: "object",
        additionalProperties: false,
        required: ["bundle", "expiresIn"],
        properties: {
          bundle: bundleName("Name of the bundle to publish."),
          expiresIn: duration("How long the link stays valid, from the moment the step runs.", ["7d", "48h"]),
          maxUses: {
            type: "integer",
            minimum: 0,
            default: 0,
            description: "How many downloads the link allows; 0 means unlimited (until it expires).",
            examples: [0, 5],
          },
        },
        examples: [
          { bundle: "family-archive", expiresIn: "7d" },
          { bundle: "family-archive", expiresIn: "48h", maxUses: 5 },
        ],
      },
      outputsSchema: {
        $schema: DRAFT_2020_12,
        title: "publish@1 outputs",
        type: "object",
        required: ["url", "expiresAt", "linkId"],
        properties: {
          url: { type: "string", format: "uri", description: "The signed download link." },
          expiresAt: { type: "string", format: "date-time", description: "When the link stops working." },
          linkId: { type: "string", description: "Id of the link, to revoke it." },
        },
      },
      docs: "Creates a signed public download link for `bundle` that expires after `expiresIn` and allows `maxUses` downloads (0, the default, means unlimited until expiry). Anyone holding the link can download, so pass it on with care, e.g. through a later `email@1` step as `{{ steps.<id>.outputs.url }}`. The link is created once per run even if the step is retried. Outputs: `url`, `expiresAt`, `linkId`.",
    },
  ],
  permissions: [
    { name: "links.publish", reason: "Creates the signed link, scoped to the pipeline owner's bundles." },
  ],
};
