export { type BundlesServiceDeps, createBundlesService } from "./bundles-service.js";
