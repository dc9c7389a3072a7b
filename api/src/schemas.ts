// The named schemas clients reuse; each has a type of the same name (`schemas.Bundle` as a type or a value).
export type { AuditFilter } from "./operations/audit.js";
export {
  AuditCheckpoint,
  AuditPublicKey,
  AuditRecord,
  AuditVerification,
} from "./operations/audit.js";
export { Me, RecipientSignedIn, Session, SignInStarted } from "./operations/auth.js";
export { Bundle } from "./operations/bundles.js";
export { DeviceCode, DeviceToken, DeviceTokenError } from "./operations/device.js";
export { Health, OpenApiDocument, Readiness } from "./operations/health.js";
export {
  Diagnostic,
  Pipeline,
  PipelineValidation,
  PipelineVersion,
  PipelineWithDocument,
} from "./operations/pipelines.js";
export { Capability, InstallPluginFromRegistry, Plugin, PluginSecret } from "./operations/plugins.js";
export { Run, RunAttempt, RunStep, TriggerAnswer, TriggerRefusal } from "./operations/runs.js";
export { CreatedToken, Token } from "./operations/tokens.js";
export { Permission, PermissionDecision, User } from "./operations/users.js";
