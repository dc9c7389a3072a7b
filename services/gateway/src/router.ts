import type Router from "@koa/router";
import { DEFAULT_TENANT } from "@latchflow/runtime";
import { authenticate } from "./authenticate.js";
import type { GatewayClients } from "./clients.js";
import { authorize } from "./policy.js";
import { type AnyRoute, parsePart, requireJson } from "./route.js";

/** Mounts the route table: authenticate → authorize → validate → handler → JSON response. */
export function mountRoutes(router: Router, routes: AnyRoute[], clients: GatewayClients): void {
  for (const route of routes) {
    router[route.method](route.path, async (koa) => {
      const ctx = route.scope
        ? await authenticate(koa, clients)
        : { requestId: String(koa.state.requestId), tenant: DEFAULT_TENANT };
      if (route.scope) authorize(ctx, route.scope);
      if (route.body) requireJson(koa);
      const params = parsePart(route.params, koa.params, "path");
      const query = parsePart(route.query, koa.query, "query");
      const body = parsePart(route.body, (koa.request as { body?: unknown }).body, "body");
      const result = await route.handler({ body, query, params, ctx, koa });
      koa.status = result.status;
      koa.body = result.body;
    });
  }
}
