import type Router from "@koa/router";
import type { ReadinessCheck } from "../clients.js";

/** Liveness, readiness (every dependency) and the OpenAPI document. All public. */
export function healthRoutes(
  router: Router,
  readiness: Record<string, ReadinessCheck>,
  openapi: unknown,
): void {
  router.get("/healthz", (ctx) => {
    ctx.body = { status: "ok" };
  });
  router.get("/readyz", async (ctx) => {
    const results = await Promise.all(
      Object.entries(readiness).map(async ([name, check]) => {
        try {
          await check();
          return [name, { status: "ok" }] as const;
        } catch (err) {
          return [name, { status: "unavailable", reason: (err as Error).message.slice(0, 200) }] as const;
        }
      }),
    );
    const ready = results.every(([, r]) => r.status === "ok");
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? "ready" : "not_ready", checks: Object.fromEntries(results) };
  });
  router.get("/api/openapi.json", (ctx) => {
    ctx.body = openapi;
  });
}
