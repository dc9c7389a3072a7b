export { createStorageService } from "./storage-service.js";
