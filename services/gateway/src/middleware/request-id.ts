import { newId } from "@latchflow/runtime";
import type { Middleware } from "koa";

const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,64}$/;

/** Takes a well-formed inbound X-Request-Id or makes one; echoes it on the response. */
export function requestId(): Middleware {
  return async (ctx, next) => {
    const inbound = ctx.get("x-request-id");
    const id = ACCEPTABLE.test(inbound) ? inbound : newId();
    ctx.state.requestId = id;
    ctx.set("X-Request-Id", id);
    await next();
  };
}
