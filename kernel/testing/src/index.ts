export {
  DEFAULT_NATS_URL,
  DEFAULT_PG_URL,
  type EnsureOptions,
  ensureNats,
  ensurePostgres,
  type Started,
} from "./infra.js";
export { uniqueName } from "./names.js";
export { deleteNatsStream } from "./nats.js";
export { freePort, portAnswers, waitForPort } from "./ports.js";
export { createTestDatabase, dropSchemas } from "./postgres.js";
export {
  LOCAL_PACKAGE_PATTERNS,
  type LocalRegistry,
  type LocalRegistryOptions,
  startLocalRegistry,
} from "./registry.js";
export { type StartedS3, startS3rver } from "./s3.js";
export { type CapturedMail, type SmtpCapture, startSmtpCapture } from "./smtp.js";
export { sameBytesSpelling } from "./tamper.js";
export { type WaitForOptions, waitFor } from "./wait.js";
