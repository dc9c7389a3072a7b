export { builtinCatalog, builtinManifests, catalogFromManifests } from "./catalog.js";
export { CronSchedule } from "./lib/cron-ticks.js";
export { cronManifest } from "./manifests/cron.js";
export { deadmanManifest } from "./manifests/deadman.js";
export { emailManifest } from "./manifests/email.js";
export { grantManifest } from "./manifests/grant.js";
export { httpManifest } from "./manifests/http.js";
export { manualManifest } from "./manifests/manual.js";
export { publishManifest } from "./manifests/publish.js";
export { scheduleManifest } from "./manifests/schedule.js";
export {
  type CapabilityManifest,
  type PermissionName,
  PLUGIN_API_VERSION,
  type PluginLimits,
  type PluginManifest,
  type PluginPermission,
} from "./manifests/types.js";
export { webhookManifest } from "./manifests/webhook.js";
