import type Router from "@koa/router";
import { permissionDenied, setLogContext } from "@latchflow/runtime";
import { authenticate } from "./authenticate.js";
import { markRouteBody } from "./blob-views.js";
import type { GatewayClients } from "./clients.js";
import { checkInput } from "./input-limits.js";
import { MATCHED_OPERATION } from "./middleware/contract-check.js";
import { authorize } from "./policy.js";
import { type AnyRoute, parsePart, requireBodyType } from "./route.js";

/** Mounts the route table: authenticate → check input limits → authorize → validate → handler → response. */
export function mountRoutes(router: Router, routes: AnyRoute[], clients: GatewayClients): void {
  for (const route of routes) {
    router[route.method](route.path, async (koa) => {
      koa.state[MATCHED_OPERATION] = route;
      const { ctx, identity } = await authenticate(koa, clients, route.access);
      setLogContext({ tenant: ctx.tenant });
      // auth endpoints and public ingress are rate-limited per IP and per identity (sign-in flows have their own,
      // stricter limits)
      if (route.rateLimited) await clients.auth.checkAuthRateLimit({}, ctx);
      if (route.body) requireBodyType(koa, route.bodyTypes);
      // before any schema: no NUL characters, no hostile nesting (422), whatever the route declares
      checkInput(koa.params, "path");
      checkInput(koa.query, "query");
      checkInput((koa.request as { body?: unknown }).body, "body");
      const params = parsePart(route.params, koa.params, "path");
      const access = route.access;
      const decision =
        access.kind === "user" && identity
          ? authorize(identity, {
              action: access.scope,
              ...(access.resource
                ? {
                    resource: {
                      type: access.resource.type,
                      id: String((params as Record<string, unknown>)[access.resource.param]),
                    },
                  }
                : {}),
            })
          : undefined;
      if (decision?.restrictTo && !route.restrictable) {
        throw permissionDenied("This needs a grant covering every resource of the kind", {
          reason: "per_resource_grants_only",
        });
      }
      const query = parsePart(route.query, koa.query, "query");
      const body = parsePart(route.body, (koa.request as { body?: unknown }).body, "body");
      const result = await route.handler({ body, query, params, ctx, identity, decision, koa });
      koa.status = result.status;
      if (result.redirect) {
        koa.redirect(result.redirect);
        koa.status = result.status;
      } else if (result.stream) {
        // a failure mid-stream must be visible to the client as a broken transfer, never a complete file
        result.stream.once("error", () => koa.res.destroy());
        koa.body = result.stream;
        markRouteBody(result.stream);
      } else if (result.html !== undefined) {
        koa.type = "text/html; charset=utf-8";
        koa.body = result.html;
      } else if (result.body !== undefined) {
        koa.body = result.body;
      }
    });
  }
}
