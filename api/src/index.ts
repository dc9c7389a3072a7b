export * from "./client.js";
export * from "./common.js";
export * from "./errors.js";
export * from "./operation.js";
export { operations } from "./operations/index.js";
export * from "./reasons.js";
export * from "./rules.js";
export * as schemas from "./schemas.js";
export * from "./scopes.js";
