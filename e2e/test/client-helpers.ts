import { expect } from "vitest";

/** A failure's body as every refusal shape of the contract has it (the error shape, a trigger's refusal). */
interface Refusal {
  error: { code: string; message: string; requestId: string };
}

/**
 * Asserts a typed client's raw answer (`api.raw.X(…)`) is the documented error: the status, the code, a
 * message, the request id of the response, and no stack trace. The client (with `validate: operations`) has already
 * checked the body against the shape the contract declares for that status.
 */
export function expectRefusal<
  R extends
    | { ok: true; status: number; body: unknown }
    | { ok: false; status: number; headers: Headers; body: Refusal },
>(res: R, status: number, code: string): asserts res is Extract<R, { ok: false }> {
  const text = JSON.stringify(res.body);
  expect(res.status, text).toBe(status);
  if (res.ok) throw new Error(`expected a refusal, got ${res.status}: ${text}`);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe("string");
  expect(res.body.error.requestId).toBe(res.headers.get("x-request-id"));
  expect(text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+/);
}
