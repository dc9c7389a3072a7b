export { type AuthServiceDeps, createAuthService } from "./auth-service.js";
export type { BootstrapResult } from "./bootstrap.js";
