import { ApiError, ErrorBody, type ErrorCode } from "@latchflow/api";
import { expect } from "vitest";

export interface HttpResult {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** A small fetch wrapper for tests: JSON in, parsed JSON (when any) out. */
export async function http(
  base: string,
  method: string,
  path: string,
  options: {
    token?: string;
    json?: unknown;
    body?: string | Uint8Array;
    headers?: Record<string, string>;
  } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Uint8Array | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: parseJson(text), text };
}

/** The body as JSON, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** A refusal as a test sees it: the raw helpers' result, the typed client's raw result, or its ApiError. */
export type ErrorAnswer =
  | HttpResult
  | { ok: boolean; status: number; headers: Headers; body: unknown }
  | ApiError;

/**
 * Asserts the documented error shape, the status and the code, that the error names the request id of the
 * `X-Request-Id` header, and that no stack trace leaked. Returns the error for checks of its details.
 */
export function expectError(res: ErrorAnswer, status: number, code: ErrorCode): ErrorBody["error"] {
  const answer =
    res instanceof ApiError
      ? {
          status: res.status,
          headers: res.headers,
          body: res.body as unknown,
          text: JSON.stringify(res.body),
        }
      : "text" in res
        ? res
        : { ...res, text: JSON.stringify(res.body) ?? "" };
  if ("ok" in res) expect(res.ok, answer.text).toBe(false);
  expect(answer.status, answer.text).toBe(status);
  const parsed = ErrorBody.safeParse(answer.body);
  expect(parsed.error?.message, answer.text).toBeUndefined();
  const error = parsed.data!.error;
  expect(error.code).toBe(code);
  expect(error.requestId).toBe(answer.headers.get("x-request-id"));
  expect(answer.text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+/);
  return error;
}
