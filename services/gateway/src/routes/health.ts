import { operations, type schemas } from "@latchflow/api";
import type { ReadinessCheck } from "../clients.js";
import { implement } from "../route.js";

/** Liveness, readiness (every dependency) and the OpenAPI document. All public. */
export function healthRoutes(
  readiness: Record<string, ReadinessCheck>,
  openapi: () => schemas.OpenApiDocument,
) {
  return [
    implement(operations.getHealth, async () => {
      const body: schemas.Health = { status: "ok" };
      return { status: 200, body };
    }),
    implement(operations.getReadiness, async () => {
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
      const body: schemas.Readiness = {
        status: ready ? "ready" : "not_ready",
        checks: Object.fromEntries(results),
      };
      return { status: ready ? 200 : 503, body };
    }),
    implement(operations.getOpenApi, async () => ({ status: 200, body: openapi() })),
  ];
}
