import type { CapabilityCatalog, CapabilityDescriptor } from "@latchflow/spec";
import { cronManifest } from "./manifests/cron.js";
import { deadmanManifest } from "./manifests/deadman.js";
import { emailManifest } from "./manifests/email.js";
import { grantManifest } from "./manifests/grant.js";
import { httpManifest } from "./manifests/http.js";
import { manualManifest } from "./manifests/manual.js";
import { publishManifest } from "./manifests/publish.js";
import { scheduleManifest } from "./manifests/schedule.js";
import type { PluginManifest } from "./manifests/types.js";
import { webhookManifest } from "./manifests/webhook.js";

/** Every built-in plugin manifest: triggers first, then actions. */
export const builtinManifests: readonly PluginManifest[] = [
  cronManifest,
  scheduleManifest,
  webhookManifest,
  manualManifest,
  deadmanManifest,
  emailManifest,
  publishManifest,
  grantManifest,
  httpManifest,
];

/**
 * Builds a catalog keyed by `"<key>@<major>"` from manifests. Throws when two capabilities claim the same
 * key and major.
 */
export function catalogFromManifests(manifests: readonly PluginManifest[]): CapabilityCatalog {
  const catalog: Record<string, CapabilityDescriptor> = {};
  for (const manifest of manifests) {
    for (const cap of manifest.capabilities) {
      const uses = `${cap.key}@${cap.major}`;
      if (Object.hasOwn(catalog, uses)) {
        throw new Error(`capability '${uses}' is declared twice (second time by ${manifest.name})`);
      }
      catalog[uses] = {
        kind: cap.kind,
        configSchema: cap.configSchema,
        outputsSchema: cap.outputsSchema,
        docs: cap.docs,
      };
    }
  }
  return Object.freeze(catalog);
}

let cached: CapabilityCatalog | undefined;

/**
 * The catalog of the built-in capabilities (`cron@1`, …, `http@1`). Always the same frozen object, so the
 * validator's per-catalog cache of compiled schemas is reused across calls.
 */
export function builtinCatalog(): CapabilityCatalog {
  cached ??= catalogFromManifests(builtinManifests);
  return cached;
}
