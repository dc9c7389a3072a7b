// The named schemas clients reuse; each has a type of the same name (`schemas.Bundle` as a type or a value).
export { Assignment, AssignmentDownload, RecipientAssignment } from "./operations/assignments.js";
export type { AuditFilter } from "./operations/audit.js";
export {
  AuditCheckpoint,
  AuditPublicKey,
  AuditRecord,
  AuditVerification,
} from "./operations/audit.js";
export { Me, RecipientSignedIn, Session, SignInStarted } from "./operations/auth.js";
export { Bundle } from "./operations/bundles.js";
export { DeviceAuthorization, DeviceCode, DeviceToken, DeviceTokenError } from "./operations/device.js";
export { DownloadTokenParams } from "./operations/downloads.js";
export type { FileInBundlesDetails } from "./operations/files.js";
export { FileObject } from "./operations/files.js";
export { Health, OpenApiDocument, Readiness } from "./operations/health.js";
export { CreatedPublishLink, PublishLink } from "./operations/links.js";
export {
  Diagnostic,
  Pipeline,
  PipelineTriggerRef,
  PipelineValidation,
  PipelineVersion,
  PipelineWithDocument,
} from "./operations/pipelines.js";
export {
  Capability,
  CapabilityInUse,
  InstalledPlugin,
  InstallPluginFromRegistry,
  Plugin,
  PluginSecret,
  PluginSignature,
  PluginUpgrade,
  PublisherKey,
  UpdatedPlugin,
} from "./operations/plugins.js";
export {
  DownloadGrant,
  PortalBundle,
  PortalBundleDetail,
  PortalDevice,
  PortalDownload,
  PortalPairing,
  PortalPairingClaim,
  PortalRecipient,
} from "./operations/portal.js";
export {
  Recipient,
  RecipientExportRow,
  RecipientImport,
  RecipientImportChange,
  RecipientImportError,
  RecipientImportPreview,
  RecipientImportResult,
  RecipientRow,
} from "./operations/recipients.js";
export {
  PipelineTrigger,
  Run,
  RunAttempt,
  RunStatus,
  RunStep,
  TriggerAnswer,
  TriggerRefusal,
  TriggerTimer,
} from "./operations/runs.js";
export { StatsOverview } from "./operations/stats.js";
export { CreatedToken, Token } from "./operations/tokens.js";
export { Permission, PermissionDecision, User, UserAccess } from "./operations/users.js";
