import type { Readable } from "node:stream";
import type { authV1 } from "@latchflow/proto";
import {
  type Decision,
  ErrorCode,
  LatchflowError,
  type RequestContext,
  validationFailed,
} from "@latchflow/runtime";
import type { Context } from "koa";
import type { z } from "zod";
import type { Access } from "./authenticate.js";

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
}

export interface RouteInput<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  ctx: RequestContext;
  /** the caller's identity, on routes that are not public */
  identity: authV1.Identity | undefined;
  /** the policy decision, on user routes (its `restrictTo` narrows collection reads) */
  decision: Decision | undefined;
  koa: Context;
}

/** What a handler answers: JSON by default; a redirect or an HTML page where a browser is the client. */
export interface RouteResult {
  status: number;
  body?: unknown;
  redirect?: string;
  html?: string;
  /** a streamed body (headers already set by the handler) */
  stream?: Readable;
}

/** One REST operation: the schemas that validate it are the ones the OpenAPI document is built from. */
export interface Route<B = unknown, Q = unknown, P = unknown> {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** Koa-style path, e.g. `/api/v1/bundles/:id` */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  access: Access;
  /**
   * The handler narrows a collection to `decision.restrictTo` (ids granted one by one). Without it, a caller
   * who holds only per-resource grants gets 403 on the collection instead of seeing everything.
   */
  restrictable?: boolean;
  /** accepted request body types; default JSON only */
  bodyTypes?: ("json" | "form")[];
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  responses: Record<number, ResponseSpec>;
  handler: (input: RouteInput<B, Q, P>) => Promise<RouteResult>;
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

const MEDIA_TYPES = { json: "application/json", form: "application/x-www-form-urlencoded" } as const;

/** A route with a body accepts JSON only, unless it lists other types. */
export function requireBodyType(koa: Context, types: readonly ("json" | "form")[] = ["json"]): void {
  if (!koa.is(types.map((t) => MEDIA_TYPES[t]))) {
    throw new LatchflowError(
      ErrorCode.UnsupportedMediaType,
      `Content-Type must be ${types.map((t) => MEDIA_TYPES[t]).join(" or ")}`,
    );
  }
}
