import { ErrorCode, LatchflowError, type Logger, toLatchflowError } from "@latchflow/runtime";
import type { Middleware } from "koa";
import { countAuthFailure } from "../auth-failures.js";
import { loggablePath } from "./access-log.js";

/** Errors thrown by Koa and its body parser carry an HTTP status; map those we expect. */
function fromHttpError(err: unknown): LatchflowError | undefined {
  if (typeof err !== "object" || err === null || !("status" in err)) return undefined;
  const { status, type } = err as { status?: number; type?: string };
  if (status === 413) return new LatchflowError(ErrorCode.PayloadTooLarge, "Request body too large");
  if (status === 415) return new LatchflowError(ErrorCode.UnsupportedMediaType, "Unsupported content type");
  if (status === 400 && type === "entity.parse.failed")
    return new LatchflowError(ErrorCode.BadRequest, "Malformed JSON body");
  if (status === 400) return new LatchflowError(ErrorCode.BadRequest, "Bad request");
  if (status === 405) return new LatchflowError(ErrorCode.MethodNotAllowed, "Method not allowed");
  return undefined;
}

/** The one place an error becomes an HTTP response: `{ error: { code, message, details?, requestId } }`. */
export function errorHandler(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new LatchflowError(ErrorCode.NotFound, `No route for ${ctx.method} ${ctx.path}`);
      }
    } catch (thrown) {
      const err = fromHttpError(thrown) ?? toLatchflowError(thrown);
      const requestId = String(ctx.state.requestId ?? "");
      countAuthFailure(ctx, err);
      if (err.code === ErrorCode.Internal) {
        logger.error(
          { err: thrown, requestId, method: ctx.method, path: loggablePath(ctx.path) },
          "request failed",
        );
      }
      const internal = err.code === ErrorCode.Internal;
      ctx.status = err.httpStatus;
      if (err.code === ErrorCode.RateLimited && typeof err.details?.retryAfterSeconds === "number") {
        ctx.set("Retry-After", String(Math.ceil(err.details.retryAfterSeconds)));
      }
      ctx.body = {
        error: {
          code: err.code,
          message: internal ? "Internal error" : err.message,
          ...(!internal && err.details ? { details: err.details } : {}),
          requestId,
        },
      };
    }
  };
}
