export { createGateway, type Gateway, type GatewayDeps } from "./app.js";
export type { GatewayClients, ReadinessCheck } from "./clients.js";
