export { audit } from "./launcher/audit.js";
export { type RunningNode, startBackend, startGateway } from "./launcher/nodes.js";
export { type Started, startEmbedded, startOne } from "./launcher/start.js";
export { type StorageClient, storageClient } from "./launcher/storage-client.js";
export { main } from "./main.js";
