import type { Logger } from "@latchflow/runtime";
import type { Middleware } from "koa";

/**
 * Paths whose second segment is a bearer capability: a download grant (`/dl/`), a publish link (`/s/`), a
 * dead-man check-in link (`/checkin/`). Whoever reads the log must not be able to use them.
 */
const TOKEN_PATH = /^\/(dl|s|checkin)\/[^/]+/i; // the router matches paths case-insensitively

/** The path as logs may show it: capability tokens replaced by `[token]`. */
export const loggablePath = (path: string) => path.replace(TOKEN_PATH, "/$1/[token]");

/** One line per request. Paths only (query strings may carry one-time tokens), with tokens redacted. */
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
          path: loggablePath(ctx.path),
          status: ctx.status,
          ms: Math.round((performance.now() - started) * 10) / 10,
        },
        "http request",
      );
    }
  };
}
