import {
  ErrorCode,
  LatchflowError,
  type RequestContext,
  type Scope,
  validationFailed,
} from "@latchflow/runtime";
import type { Context } from "koa";
import type { z } from "zod";

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
}

export interface RouteInput<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  ctx: RequestContext;
  koa: Context;
}

/** One REST operation: the schemas that validate it are the ones the OpenAPI document is built from. */
export interface Route<B = unknown, Q = unknown, P = unknown> {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** Koa-style path, e.g. `/api/v1/bundles/:id` */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** scope required; `undefined` means the route is public */
  scope: Scope | undefined;
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  responses: Record<number, ResponseSpec>;
  handler: (input: RouteInput<B, Q, P>) => Promise<{ status: number; body: unknown }>;
}

/** A route of any input types, for the route table. */
// biome-ignore lint/suspicious/noExplicitAny: the table holds routes of different input types
export type AnyRoute = Route<any, any, any>;

/** Type-checks a route's handler against its own schemas. */
export function defineRoute<B, Q, P>(route: Route<B, Q, P>): AnyRoute {
  return route;
}

function issuesOf(error: z.ZodError) {
  return error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

/** Validates one part of a request; failures are 422 with every problem listed. */
export function parsePart<T>(schema: z.ZodType<T> | undefined, value: unknown, part: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) {
    throw validationFailed(`Invalid request ${part}`, { part, issues: issuesOf(result.error) });
  }
  return result.data;
}

/** A route with a body accepts JSON only. */
export function requireJson(koa: Context): void {
  if (!koa.is("application/json")) {
    throw new LatchflowError(ErrorCode.UnsupportedMediaType, "Content-Type must be application/json");
  }
}
