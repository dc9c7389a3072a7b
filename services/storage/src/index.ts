export { generateMasterKey } from "./crypto/keyring.js";
export { type KeyCommandResult, keysStatus, pruneKeys, rotateKeys } from "./keys-admin.js";
export { createStorageService, type StorageServiceDeps } from "./storage-service.js";
