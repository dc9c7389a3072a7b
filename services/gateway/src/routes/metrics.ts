import type Router from "@koa/router";
import { metricsAuthorized, renderMetrics, type Secret } from "@latchflow/runtime";

/**
 * `GET /metrics`: the process's Prometheus registry (embedded mode: every service's series). With a
 * token configured it answers only `Authorization: Bearer <token>` (ADR 012).
 */
export function metricsRoute(router: Router, token: Secret | undefined): void {
  router.get("/metrics", async (ctx) => {
    if (!metricsAuthorized(ctx.get("authorization"), token)) {
      ctx.status = 401;
      ctx.set("WWW-Authenticate", "Bearer");
      ctx.body = {
        error: { code: "unauthenticated", message: "Bearer token required", requestId: ctx.state.requestId },
      };
      return;
    }
    const { contentType, body } = await renderMetrics();
    ctx.type = contentType;
    ctx.body = body;
  });
}
