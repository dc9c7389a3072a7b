import type { Readable } from "node:stream";
import type { BodyType, Operation } from "@latchflow/api";
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

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/**
 * Any body the operation declares (a JSON schema's output, or text/bytes for a declared media type), so tsc
 * catches a handler answering another shape.
 */
type DeclaredBody<O extends Operation> = {
  [K in keyof O["responses"]]:
    | (O["responses"][K] extends { schema: infer S extends z.ZodType } ? z.output<S> : never)
    | (O["responses"][K] extends { media: string | readonly string[] } ? string | Uint8Array : never);
}[keyof O["responses"]];

/** An operation of the contract (`@latchflow/api`) with the handler that serves it. */
export type Route<O extends Operation = Operation> = O & {
  handler: (
    input: RouteInput<Parsed<O["body"]>, Parsed<O["query"]>, Parsed<O["params"]>>,
  ) => Promise<Omit<RouteResult, "body"> & { body?: DeclaredBody<O> }>;
};

/** A route of any operation, for the route table. */
export type AnyRoute = Operation & {
  // biome-ignore lint/suspicious/noExplicitAny: the table holds routes of different input types
  handler: (input: RouteInput<any, any, any>) => Promise<RouteResult>;
};

/** Serves a contract operation: the handler's input is typed by the operation's own schemas. */
export function implement<const O extends Operation>(op: O, handler: Route<O>["handler"]): AnyRoute {
  return { ...op, handler } as AnyRoute;
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

const MEDIA_TYPES: Record<BodyType, string> = {
  json: "application/json",
  form: "application/x-www-form-urlencoded",
  multipart: "multipart/form-data",
  binary: "application/octet-stream",
  csv: "text/csv",
};

/** A route with a body accepts JSON only, unless it lists other types. */
export function requireBodyType(koa: Context, types: readonly BodyType[] = ["json"]): void {
  if (!koa.is(types.map((t) => MEDIA_TYPES[t]))) {
    throw new LatchflowError(
      ErrorCode.UnsupportedMediaType,
      `Content-Type must be ${types.map((t) => MEDIA_TYPES[t]).join(" or ")}`,
    );
  }
}
