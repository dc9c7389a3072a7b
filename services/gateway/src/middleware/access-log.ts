import type { Logger } from "@latchflow/runtime";
import type { Middleware } from "koa";

/** One line per request. Paths only: query strings may carry one-time tokens. */
export function accessLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      logger.info(
        {
          requestId: ctx.state.requestId,
          method: ctx.method,
          // download capabilities live in the path: never log them
          path: ctx.path.replace(/^\/(dl|s)\/[^/]+/, "/$1/[token]"),
          status: ctx.status,
          ms: Math.round((performance.now() - started) * 10) / 10,
        },
        "http request",
      );
    }
  };
}
