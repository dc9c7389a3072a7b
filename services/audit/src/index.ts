export { auditPublicKeyPem, checkpointAuditChain, verifyAuditChains } from "./audit-admin.js";
export {
  type AuditLog,
  type AuditLogOptions,
  createAuditLog,
  openAuditDatabase,
} from "./audit-log.js";
export { type AuditServiceDeps, createAuditService } from "./audit-service.js";
export {
  type ChainedRecord,
  canonicalJson,
  canonicalRecord,
  checkpointMessage,
  GENESIS_HASH,
  recordHash,
} from "./canonical.js";
export {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  ExportFileError,
  type ExportFileResult,
  verifyExportFile,
} from "./export-file.js";
export type { AuditFilter } from "./query.js";
export { AUDIT_BATCH, AUDIT_CONSUMER, subscribeRecorder } from "./recorder.js";
export {
  type AuditPublicKey,
  type CheckpointSigner,
  createSigner,
  loadSigner,
  parsePublicKeyPem,
  signingKeyPath,
} from "./signing.js";
export { BreakReason, type ChainBreak, type VerifyResult } from "./verify.js";
