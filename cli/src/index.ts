export { main } from "./main.js";
export { type RunningNode, startBackend } from "./nodes.js";
export { type Started, startEmbedded, startOne } from "./start.js";
export { type StorageClient, storageClient } from "./storage-client.js";
