// The typed client. Its types come from the contract's zod schemas; at run time it needs only the generated route
// table (routes.gen.ts: method, path, body types, which answers are JSON), so an app's bundle carries no zod
// unless it asks for validation (tests pass `validate: operations`).
import type { z } from "zod";
import type { ErrorBody } from "./common.js";
import { ErrorCode, isErrorCode } from "./errors.js";
import type { BodyType, Operation } from "./operation.js";
import type { operations } from "./operations/index.js";
import type { RouteInfo } from "./route-table.js";
import { routes } from "./routes.gen.js";

type Operations = typeof operations;
/** what `fetch` accepts as a body (a string, bytes, a Blob, a stream…) */
type BodyInit = NonNullable<RequestInit["body"]>;

/** An answer's headers, as the client reads them. */
export interface HeadersLike {
  get(name: string): string | null;
}

/**
 * What the client reads from an answer: a fetch `Response` is one; a transport may answer with less (the CLI's
 * fetch over node:http answers with its own object, which the caller then reads as that type).
 */
export interface AnswerLike {
  status: number;
  headers: HeadersLike;
  text(): Promise<string>;
}

/** The request the client hands its fetch: the body is a string it encoded, or the caller's body of type B. */
export interface FetchInit<B> {
  method: string;
  headers: Record<string, string>;
  redirect: "manual";
  body?: string | B;
  duplex?: "half";
  credentials?: RequestInit["credentials"];
  signal?: AbortSignal;
}

/** The fetch a client uses: R is what it answers with, B the request bodies it takes (uploads). */
export type FetchLike<R extends AnswerLike, B> = (url: string, init: FetchInit<B>) => Promise<R>;

/** `{ key: value }`, optional when every field of the value is optional, absent when there is no schema. */
type Part<K extends string, S> = S extends z.ZodType
  ? Record<string, never> extends z.input<S>
    ? { [P in K]?: z.input<S> }
    : { [P in K]: z.input<S> }
  : { [P in K]?: never };

/** The request body: the schema's input for JSON and forms; as given where the handler reads it (uploads). */
type BodyPart<O extends Operation, B> = O["body"] extends z.ZodType
  ? Part<"body", O["body"]>
  : O["bodyTypes"] extends readonly BodyType[]
    ? { body: B; contentType?: string; headers?: Record<string, string> }
    : Part<"body", O["body"]>;

export type InputOf<O extends Operation, B = BodyInit> = Part<"params", O["params"]> &
  Part<"query", O["query"]> &
  BodyPart<O, B> & {
    /** extra request headers (e.g. `Idempotency-Key`, `Range`) */
    headers?: Record<string, string>;
    signal?: AbortSignal;
  };

type SuccessStatus = 200 | 201 | 202 | 204 | 206;
/** A JSON answer's body; the answer itself (A) when it is not JSON (or may not be: a schema beside a `media`). */
type BodyOf<R, A> = R extends { schema: infer S extends z.ZodType }
  ? R extends { media: string | readonly string[] }
    ? z.output<S> | A
    : z.output<S>
  : A;
type ErrorSchemaOf<R> = R extends { schema: infer S extends z.ZodType } ? z.output<S> : never;

/** What a call resolves to: the JSON body of any success answer, or the answer (A) when it is not JSON. */
export type OutputOf<O extends Operation, A = Response> = {
  [K in keyof O["responses"]]: K extends SuccessStatus ? BodyOf<O["responses"][K], A> : never;
}[keyof O["responses"]];

/** A failure's body: the error shape, or what the operation declares instead (e.g. OAuth's at the device flow). */
export type ErrorOf<O extends Operation> =
  | ErrorBody
  | {
      [K in keyof O["responses"]]: K extends SuccessStatus ? never : ErrorSchemaOf<O["responses"][K]>;
    }[keyof O["responses"]];

/** A call's whole answer, success or not, for callers that look at statuses (tests, retry logic). */
export type RawResult<O extends Operation, A extends AnswerLike = Response> =
  | { ok: true; status: number; headers: A["headers"]; body: OutputOf<O, A>; response: A }
  | { ok: false; status: number; headers: A["headers"]; body: ErrorOf<O>; response: A };

type HasRequired<I> = Record<string, never> extends I ? false : true;
type Call<O extends Operation, A extends AnswerLike, B> =
  HasRequired<Omit<InputOf<O, B>, "headers" | "signal">> extends true
    ? (input: InputOf<O, B>) => Promise<OutputOf<O, A>>
    : (input?: InputOf<O, B>) => Promise<OutputOf<O, A>>;
type RawCall<O extends Operation, A extends AnswerLike, B> =
  HasRequired<Omit<InputOf<O, B>, "headers" | "signal">> extends true
    ? (input: InputOf<O, B>) => Promise<RawResult<O, A>>
    : (input?: InputOf<O, B>) => Promise<RawResult<O, A>>;

/** One method per operation; A is the answer type of the client's fetch, B the upload bodies it takes. */
export type Client<A extends AnswerLike = Response, B = BodyInit> = {
  [K in keyof Operations]: Call<Operations[K], A, B>;
} & {
  /** the same operations, answering every status instead of throwing on errors */
  raw: { [K in keyof Operations]: RawCall<Operations[K], A, B> };
};

/** Any client, whatever its transport: what code shared by the apps, the CLI and the editor takes (no uploads). */
export type AnyClient = Client<AnswerLike, string>;

/** A failed call: the server's error (code, message, details) plus the HTTP status. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  readonly requestId: string;
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    readonly operationId: string,
    /** the answer's headers (`X-Request-Id`, `Retry-After`) */
    readonly headers: HeadersLike = new Headers(),
  ) {
    super(body.error.message);
    this.code = body.error.code;
    this.details = body.error.details ?? {};
    this.requestId = body.error.requestId;
  }
}

/** A response that did not match the schema the contract declares for it (only with `validate`). */
export class ContractMismatch extends Error {
  override readonly name = "ContractMismatch";
}

export interface ClientOptions<A extends AnswerLike = Response, B = BodyInit> {
  /** the server's origin, e.g. `http://127.0.0.1:8080` (empty string: same origin, in a browser) */
  baseUrl: string;
  /** an API token (`lf_…`), sent as `Authorization: Bearer`; omit to rely on the session cookie */
  token?: string | (() => string | undefined);
  /** the CSRF token to send as `X-CSRF-Token` on changes made with a session cookie */
  csrfToken?: () => string | undefined;
  /** headers sent with every request */
  headers?: Record<string, string>;
  /** the transport (default: the global fetch) */
  fetch?: FetchLike<A, B>;
  /**
   * Check every answer against the contract (tests): pass `operations` from `@latchflow/api`. A status the
   * operation does not declare, or a body its schema refuses, throws ContractMismatch.
   */
  validate?: Readonly<Record<string, Operation>>;
  credentials?: RequestInit["credentials"];
}

const UNSAFE = new Set(["post", "put", "patch", "delete"]);

function expandPath(path: string, params: Record<string, unknown> | undefined): string {
  return path.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null) throw new TypeError(`missing path parameter "${name}"`);
    return encodeURIComponent(String(value));
  });
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return "";
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) search.append(key, String(v));
  }
  const s = search.toString();
  return s ? `?${s}` : "";
}

function encodeBody(op: RouteInfo, input: Record<string, unknown>): { body?: unknown; type?: string } {
  if (!("body" in input) || input.body === undefined) return {};
  const types = op.bodyTypes ?? ["json"];
  if (op.body && types.includes("json"))
    return { body: JSON.stringify(input.body), type: "application/json" };
  if (op.body && types.includes("form")) {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(input.body as Record<string, unknown>)) {
      if (v !== undefined) form.append(k, String(v));
    }
    return { body: form.toString(), type: "application/x-www-form-urlencoded" };
  }
  const body = input.body;
  // a FormData body gets its multipart content type (with the boundary) from fetch itself
  const multipart = typeof FormData !== "undefined" && body instanceof FormData;
  const type =
    (input.contentType as string | undefined) ?? (multipart ? undefined : "application/octet-stream");
  return type === undefined ? { body } : { body, type };
}

function unexpectedError(status: number, text: string): ErrorBody {
  const code = status >= 500 ? ErrorCode.Internal : ErrorCode.BadRequest;
  return {
    error: { code, message: `HTTP ${status}: ${text.slice(0, 200) || "no body"}`, requestId: "" },
  };
}

type AnyResult = { ok: boolean; status: number; headers: HeadersLike; body: unknown; response: AnswerLike };

/** Whether a JSON value has the one error shape (checked by hand: the client carries no schemas). */
function isErrorBody(value: unknown): value is ErrorBody {
  const error = (value as { error?: Record<string, unknown> } | null)?.error;
  return (
    typeof error === "object" &&
    error !== null &&
    isErrorCode(error.code) &&
    typeof error.message === "string" &&
    typeof error.requestId === "string" &&
    (error.details === undefined || (typeof error.details === "object" && error.details !== null))
  );
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
}

/** The error shape of a failure whose declared body is another (the status and that body as details). */
function asErrorBody(status: number, body: unknown): ErrorBody {
  if (isErrorBody(body)) return body;
  const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const described = fields.error_description ?? fields.error;
  return {
    error: {
      code: status >= 500 ? ErrorCode.Internal : ErrorCode.BadRequest,
      message: typeof described === "string" ? described : `HTTP ${status}`,
      details: fields,
      requestId: "",
    },
  };
}

async function send(
  options: ClientOptions<AnswerLike, never>,
  id: string,
  op: RouteInfo,
  input: Record<string, unknown> = {},
): Promise<AnyResult> {
  const doFetch: FetchLike<AnswerLike, never> =
    options.fetch ?? ((url, init) => globalThis.fetch(url, init as RequestInit));
  const url = `${options.baseUrl}${expandPath(op.path, input.params as Record<string, unknown>)}${queryString(
    input.query as Record<string, unknown>,
  )}`;
  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  const token = typeof options.token === "function" ? options.token() : options.token;
  if (token) headers.authorization = `Bearer ${token}`;
  else if (UNSAFE.has(op.method)) {
    const csrf = options.csrfToken?.();
    if (csrf) headers["x-csrf-token"] = csrf;
  }
  const { body, type } = encodeBody(op, input);
  if (type) headers["content-type"] = type;
  Object.assign(headers, input.headers as Record<string, string> | undefined);
  const response = await doFetch(url, {
    method: op.method.toUpperCase(),
    headers,
    redirect: "manual",
    // the body is a string encoded here, or the caller's, of the transport's body type
    ...(body !== undefined ? { body: body as never, duplex: "half" } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(input.signal ? { signal: input.signal as AbortSignal } : {}),
  });
  const answer = op.responses[response.status];
  const schema = options.validate?.[id]?.responses[response.status]?.schema;
  const isJson = (response.headers.get("content-type") ?? "").includes("application/json");
  const ok = response.status < 400;
  if (options.validate && ok && !answer) {
    throw new ContractMismatch(`${id} ${response.status}: a success status the contract does not declare`);
  }
  if (ok && (!answer?.json || (answer.media && !isJson))) {
    // not JSON (a stream, a page, a redirect) or no body: the caller reads the Response itself
    return { ok: true, status: response.status, headers: response.headers, body: response, response };
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text && isJson ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!ok) {
    if (isErrorBody(json)) {
      return { ok: false, status: response.status, headers: response.headers, body: json, response };
    }
    // a status may declare its own body instead of the error shape (the device flow's OAuth errors)
    const declared = answer?.ownShape && typeof json === "object" && json !== null;
    if (options.validate && isJson && !(declared && schema?.safeParse(json).success)) {
      throw new ContractMismatch(
        `${id} ${response.status}: error body is neither the error shape nor declared`,
      );
    }
    const errorBody = declared ? json : unexpectedError(response.status, text);
    return { ok: false, status: response.status, headers: response.headers, body: errorBody, response };
  }
  if (schema) {
    const checked = schema.safeParse(json);
    if (!checked.success) throw new ContractMismatch(`${id} ${response.status}: ${issues(checked.error)}`);
  }
  return { ok: true, status: response.status, headers: response.headers, body: json, response };
}

/** The typed client: one method per operation, named by its operationId. */
export function createClient(options: ClientOptions): Client;
/** A client over another transport: calls that answer with something other than JSON answer with its A. */
export function createClient<A extends AnswerLike, B>(
  options: ClientOptions<A, B> & { fetch: FetchLike<A, B> },
): Client<A, B>;
export function createClient(options: ClientOptions<AnswerLike, never>): AnyClient {
  const calls: Record<string, unknown> = {};
  const raw: Record<string, unknown> = {};
  for (const [id, route] of Object.entries(routes)) {
    raw[id] = (input?: Record<string, unknown>) => send(options, id, route, input);
    calls[id] = async (input?: Record<string, unknown>) => {
      const result = await send(options, id, route, input);
      if (!result.ok) {
        throw new ApiError(result.status, asErrorBody(result.status, result.body), id, result.headers);
      }
      return result.body;
    };
  }
  return { ...calls, raw } as AnyClient;
}

/**
 * The path (and query) of an operation, e.g. for a link the browser follows itself (a download as an attachment):
 * `pathOf("downloadFile", { id })` → `/api/v1/files/…/content`. Prefix the server's origin when not same-origin.
 */
export function pathOf<K extends keyof Operations>(
  operationId: K,
  input: Pick<InputOf<Operations[K]>, "params" | "query"> = {} as never,
): string {
  const route = routes[operationId];
  if (!route) throw new TypeError(`unknown operation ${String(operationId)}`);
  const { params, query } = input as { params?: Record<string, unknown>; query?: Record<string, unknown> };
  return `${expandPath(route.path, params)}${queryString(query)}`;
}

/** Whether an unknown value is an ApiError with the given code. */
export function isApiError(err: unknown, code?: ErrorCode): err is ApiError {
  return err instanceof ApiError && (code === undefined || err.code === code);
}
export { isErrorCode };
