import { z } from "zod";
import { ErrorBody, queryRefusedResponse } from "../common.js";
import { defineOperation } from "../operation.js";

// Liveness, readiness, the OpenAPI document and the Prometheus metrics: public, outside /api/v1.

const tag = "health";

export const Health = z.object({ status: z.literal("ok") }).meta({ id: "Health" });
export type Health = z.output<typeof Health>;

export const Readiness = z
  .object({
    status: z.enum(["ready", "not_ready"]),
    checks: z.record(
      z.string(),
      z.object({
        status: z.enum(["ok", "unavailable"]),
        reason: z.string().optional().meta({ description: "Why a dependency is unavailable" }),
      }),
    ),
  })
  .meta({ id: "Readiness" });
export type Readiness = z.output<typeof Readiness>;

export const OpenApiDocument = z
  .looseObject({
    openapi: z.string(),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "OpenApiDocument" });
export type OpenApiDocument = z.output<typeof OpenApiDocument>;

export const getHealth = defineOperation({
  method: "get",
  path: "/healthz",
  operationId: "getHealth",
  summary: "Liveness: the process answers",
  tag,
  access: { kind: "public" },
  responses: { 200: { description: "Alive", schema: Health }, 422: queryRefusedResponse },
});

export const getReadiness = defineOperation({
  method: "get",
  path: "/readyz",
  operationId: "getReadiness",
  summary: "Readiness: every dependency answers",
  tag,
  access: { kind: "public" },
  responses: {
    200: { description: "Ready", schema: Readiness },
    422: queryRefusedResponse,
    503: { description: "A dependency is unavailable (named in checks)", schema: Readiness },
  },
});

export const getOpenApi = defineOperation({
  method: "get",
  path: "/api/openapi.json",
  operationId: "getOpenApi",
  summary: "This API's OpenAPI 3.1 document",
  tag,
  access: { kind: "public" },
  responses: { 200: { description: "The document", schema: OpenApiDocument }, 422: queryRefusedResponse },
});

export const getMetrics = defineOperation({
  method: "get",
  path: "/metrics",
  operationId: "getMetrics",
  summary:
    "Prometheus metrics of the process (embedded mode: every service's series); with LATCHFLOW_METRICS_TOKEN set, only for `Authorization: Bearer <that token>` (ADR 012)",
  tag,
  access: { kind: "public" },
  responses: {
    200: { description: "Prometheus text exposition format", media: "text/plain" },
    401: { description: "The metrics token is required (WWW-Authenticate: Bearer)", schema: ErrorBody },
    422: queryRefusedResponse,
  },
});
