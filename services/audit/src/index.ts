export { AUDIT_CONSUMER, createAuditService } from "./audit-service.js";
