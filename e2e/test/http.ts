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

/** Asserts the documented error shape, the status and the code, and that no stack trace leaked. */
export function expectError(res: HttpResult, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  const body = res.body as { error?: { code?: string; message?: string; requestId?: string } };
  expect(body.error?.code).toBe(code);
  expect(typeof body.error?.message).toBe("string");
  expect(body.error?.requestId).toBe(res.headers.get("x-request-id"));
  expect(res.text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+/);
}
