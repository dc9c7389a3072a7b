import type { Server } from "node:http";
import { bodyParser } from "@koa/bodyparser";
import cors from "@koa/cors";
import Router from "@koa/router";
import { buildOpenApi, operations } from "@latchflow/api";
import type { EventBus, Subscription } from "@latchflow/bus";
import type { Config, Logger } from "@latchflow/runtime";
import Koa from "koa";
import { sendBlobViews } from "./blob-views.js";
import type { GatewayClients, ReadinessCheck } from "./clients.js";
import { IdentityCache } from "./identity-cache.js";
import { cachingAuthClient, subscribeIdentityDrops } from "./identity-invalidation.js";
import { accessLog } from "./middleware/access-log.js";
import { contractCheck } from "./middleware/contract-check.js";
import { errorHandler } from "./middleware/error-handler.js";
import { observe } from "./middleware/observe.js";
import { requestId } from "./middleware/request-id.js";
import { securityHeaders } from "./middleware/security-headers.js";
import { mountRoutes } from "./router.js";
import { archiveRoutes } from "./routes/archive.js";
import { assignmentRoutes } from "./routes/assignments.js";
import { auditRoutes } from "./routes/audit.js";
import { authRoutes } from "./routes/auth.js";
import { bundleRoutes } from "./routes/bundles.js";
import { deviceRoutes } from "./routes/device.js";
import { fileRoutes } from "./routes/files.js";
import { healthRoutes } from "./routes/health.js";
import { linkRoutes } from "./routes/links.js";
import { metricsRoute } from "./routes/metrics.js";
import { pipelineRoutes } from "./routes/pipelines.js";
import { pluginRoutes } from "./routes/plugins.js";
import { portalRoutes } from "./routes/portal.js";
import { portalDeviceRoutes } from "./routes/portal-devices.js";
import { recipientTransferRoutes } from "./routes/recipient-transfer.js";
import { recipientRoutes } from "./routes/recipients.js";
import { runRoutes } from "./routes/runs.js";
import { statsRoutes } from "./routes/stats.js";
import { tokenRoutes } from "./routes/tokens.js";
import { userRoutes } from "./routes/users.js";
import { staticApps } from "./static-app.js";

export interface GatewayDeps {
  config: Config;
  logger: Logger;
  clients: GatewayClients;
  /** named dependencies /readyz checks */
  readiness: Record<string, ReadinessCheck>;
  version?: string;
  /**
   * The bus the auth service publishes on. With it, identities are cached for `http.identityCacheMs` and
   * dropped on the auth events (ADR 054); without it (a gateway that cannot hear revocations) never.
   */
  bus?: EventBus;
  /** the services' clock (tests move it); a cached identity is never kept past its `validUntil` by it */
  now?: () => Date;
}

export interface Gateway {
  readonly app: Koa;
  /** Listens on config.http; resolves with the bound port. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

/** The gateway: the only HTTP entry point. Thin routes over the services' gRPC APIs. */
export function createGateway(deps: GatewayDeps): Gateway {
  const logger = deps.logger.child({ service: "gateway" });
  const { config } = deps;
  const clock = deps.now;
  const identities = new IdentityCache({
    ttlMs: deps.bus ? config.http.identityCacheMs : 0,
    ...(clock ? { now: () => clock().getTime() } : {}),
  });
  const clients: GatewayClients = { ...deps.clients, auth: cachingAuthClient(deps.clients.auth, identities) };
  // behind one reverse proxy: the client IP is the last X-Forwarded-For entry (the one the proxy wrote), not
  // the first, which the client can set to anything and so dodge every per-IP limit
  const app = new Koa({ proxy: config.http.trustProxy, maxIpsCount: 1 });
  // Links in emails use the configured public URL, or the address actually bound (never the Host header).
  let linkBase = config.http.publicUrl;
  const base = () => linkBase;
  const routes = [
    ...authRoutes(clients, { linkBase: base, secureCookies: !config.development, adminHome: "/admin/" }),
    ...deviceRoutes(clients, base),
    ...tokenRoutes(clients),
    ...userRoutes(clients, base),
    ...recipientTransferRoutes(clients, config.http.bodyLimitBytes),
    ...recipientRoutes(clients),
    ...fileRoutes(clients, config.http.uploadLimitBytes),
    ...bundleRoutes(clients),
    ...assignmentRoutes(clients),
    ...linkRoutes(clients, base),
    ...portalRoutes(clients, { linkBase: base, secureCookies: !config.development }),
    ...portalDeviceRoutes(clients, { linkBase: base, secureCookies: !config.development }),
    ...archiveRoutes(clients),
    ...pipelineRoutes(clients),
    ...runRoutes(clients),
    ...pluginRoutes(clients, config.kernel.pluginMaxBytes),
    ...auditRoutes(clients),
    ...statsRoutes(clients),
    ...healthRoutes(deps.readiness, () => openapi),
    metricsRoute(config.observability.metricsToken),
  ];
  // the contract's document (the committed api/openapi.json): the operations of @latchflow/api, not the route
  // table (routes still declared in the gateway are not in it until they move to the contract)
  const openapi = buildOpenApi(Object.values(operations), { version: deps.version ?? "0.1.0" });
  const router = new Router();
  mountRoutes(router, routes, clients);

  // errors after the response started (e.g. an integrity failure mid-download) end the connection
  app.on("error", (err: Error) => logger.warn({ err: err.message }, "response aborted"));
  // outermost: writes a route's streamed body once every other middleware is done (ADR 068)
  app.use(sendBlobViews());
  app.use(requestId());
  app.use(observe());
  app.use(accessLog(logger));
  if (config.http.contractCheck) app.use(contractCheck(logger));
  app.use(errorHandler(logger));
  app.use(securityHeaders({ development: config.development }));
  app.use(
    cors({
      origin: (ctx) => {
        const origin = ctx.get("origin");
        return config.http.corsOrigins.includes(origin) ? origin : "";
      },
      credentials: true,
      exposeHeaders: ["X-Request-Id", "Retry-After"],
    }),
  );
  const parseBody = bodyParser({
    enableTypes: ["json", "form"],
    jsonLimit: config.http.bodyLimitBytes,
    formLimit: config.http.bodyLimitBytes,
    encoding: "utf-8",
    jsonStrict: true,
    onError: (err) => {
      throw err;
    },
  });
  // the recipient portal and the admin app (built single-page apps, same origin as the API); `/` leads to the
  // portal (ADR 024, ADR 027)
  app.use(
    staticApps(
      [
        { prefix: "/portal", dir: config.http.portalDir },
        { prefix: "/admin", dir: config.http.adminDir },
      ],
      { home: "/portal/" },
    ),
  );
  // webhook bodies stay raw: their signature covers the exact bytes; an import file is read by its handler
  // (a JSON file's problems are answered with their lines, so the text is needed)
  const rawBody = new Set<string>([operations.importRecipients.path, operations.previewRecipientImport.path]);
  app.use((ctx, next) =>
    ctx.path.startsWith("/hooks/") || rawBody.has(ctx.path) ? next() : parseBody(ctx, next),
  );
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));

  let server: Server | undefined;
  let drops: Subscription | undefined;
  return {
    app,
    listen: async () => {
      if (deps.bus && config.http.identityCacheMs > 0) {
        drops ??= await subscribeIdentityDrops(deps.bus, identities, logger);
      }
      return new Promise((resolve, reject) => {
        const s = app.listen(config.http.port, config.http.host);
        s.once("error", reject);
        s.once("listening", () => {
          server = s;
          const addr = s.address();
          const port = typeof addr === "object" && addr ? addr.port : config.http.port;
          if (!linkBase) linkBase = `http://${config.http.host}:${port}`;
          if (!config.observability.metricsToken && !isLoopback(config.http.host)) {
            logger.warn({ host: config.http.host }, "/metrics is open: set LATCHFLOW_METRICS_TOKEN");
          }
          resolve(port);
        });
      });
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await drops?.stop();
      drops = undefined;
    },
  };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}
