export { createBundlesService } from "./bundles-service.js";
