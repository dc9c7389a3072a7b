import {
  DEFAULT_TENANT,
  extractTraceContext,
  httpRequestDurationSeconds,
  httpRequestsTotal,
  SpanKind,
  SpanStatusCode,
  withLogContext,
  withSpan,
} from "@latchflow/runtime";
import type { Middleware } from "koa";

/**
 * Per request: a server span continuing an inbound `traceparent`, a log scope carrying the request id
 * (and, once authenticated, the tenant) on every line, and the HTTP metrics. Labels use the route
 * template, never the path (paths carry ids and download tokens).
 */
export function observe(): Middleware {
  return (ctx, next) => {
    const started = performance.now();
    const requestId = String(ctx.state.requestId ?? "");
    return withLogContext({ requestId, tenant: DEFAULT_TENANT }, () =>
      withSpan(
        ctx.method,
        {
          kind: SpanKind.SERVER,
          parent: extractTraceContext(ctx.headers),
          attributes: { "http.request.method": ctx.method, "latchflow.request_id": requestId },
        },
        async (span) => {
          try {
            await next();
          } finally {
            const route = typeof ctx._matchedRoute === "string" ? ctx._matchedRoute : "unmatched";
            const status = String(ctx.status);
            span.updateName(`${ctx.method} ${route}`);
            span.setAttribute("http.route", route);
            span.setAttribute("http.response.status_code", ctx.status);
            if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
            const labels = { method: ctx.method, route, status };
            httpRequestsTotal.inc(labels);
            httpRequestDurationSeconds.observe(labels, (performance.now() - started) / 1000);
          }
        },
      ),
    );
  };
}
