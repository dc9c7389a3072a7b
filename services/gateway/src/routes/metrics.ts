import { type ErrorBody, operations } from "@latchflow/api";
import { metricsAuthorized, renderMetrics, type Secret } from "@latchflow/runtime";
import { implement } from "../route.js";

/**
 * `GET /metrics`: the process's Prometheus registry (embedded mode: every service's series). With a
 * token configured it answers only `Authorization: Bearer <token>` (ADR 012).
 */
export function metricsRoute(token: Secret | undefined) {
  return implement(operations.getMetrics, async ({ ctx, koa }) => {
    if (!metricsAuthorized(koa.get("authorization"), token)) {
      koa.set("WWW-Authenticate", "Bearer");
      const body: ErrorBody = {
        error: { code: "unauthenticated", message: "Bearer token required", requestId: ctx.requestId },
      };
      return { status: 401, body };
    }
    const { contentType, body } = await renderMetrics();
    koa.type = contentType;
    return { status: 200, body };
  });
}
