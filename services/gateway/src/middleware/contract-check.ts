import { Readable } from "node:stream";
import { mediaTypes, type Operation, responsesOf } from "@latchflow/api";
import { ErrorCode, type Logger } from "@latchflow/runtime";
import type { Context, Middleware } from "koa";
import type { z } from "zod";

/** `koa.state` key under which the route table records the operation a request was matched to. */
export const MATCHED_OPERATION = "operation";

/** Why a response breaks its operation's contract. */
export interface Mismatch {
  message: string;
  issues?: { path: string; message: string }[];
}

function isJsonValue(body: unknown): boolean {
  return (
    body !== null &&
    typeof body === "object" &&
    !Buffer.isBuffer(body) &&
    !(body instanceof Readable) &&
    !(body instanceof Uint8Array)
  );
}

/** Keys the handler sent that the schema does not describe (the parsed value drops them). */
function extraKeys(sent: unknown, parsed: unknown, path: string, out: string[]): void {
  if (Array.isArray(sent) && Array.isArray(parsed)) {
    sent.forEach((item, i) => {
      extraKeys(item, parsed[i], `${path}${path ? "." : ""}${i}`, out);
    });
    return;
  }
  if (typeof sent !== "object" || sent === null || typeof parsed !== "object" || parsed === null) return;
  for (const [key, value] of Object.entries(sent)) {
    const at = path ? `${path}.${key}` : key;
    if (!(key in parsed)) out.push(at);
    else extraKeys(value, (parsed as Record<string, unknown>)[key], at, out);
  }
}

function checkJson(schema: z.ZodType, body: unknown): Mismatch | undefined {
  // what the client receives: dates become strings, undefined fields disappear
  const sent: unknown = typeof body === "string" ? JSON.parse(body) : JSON.parse(JSON.stringify(body));
  const result = schema.safeParse(sent);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    return {
      message: `body does not match its schema: ${issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")}`,
      issues,
    };
  }
  const extra: string[] = [];
  extraKeys(sent, result.data, "", extra);
  if (extra.length) {
    return {
      message: `body has fields its schema does not declare: ${extra.join(", ")}`,
      issues: extra.map((path) => ({ path, message: "not in the schema" })),
    };
  }
  return undefined;
}

/**
 * Checks a finished response against its operation's contract: (a) the status is one the operation can give
 * (its own responses plus the gateway's standard ones, `responsesOf`), (b) a JSON body matches that status's
 * schema, with no undeclared fields, (c) any other body has the declared media type (a response may declare
 * both, e.g. CSV or JSON by a query parameter), and a redirect carries a Location. Undefined when the response matches.
 */
export function contractMismatch(op: Operation, koa: Context): Mismatch | undefined {
  const spec = responsesOf(op)[koa.status];
  if (!spec) return { message: `status ${koa.status} is not declared` };
  // a HEAD answer has the GET's status and headers, and no body
  if (koa.method === "HEAD") return undefined;
  const body: unknown = koa.body;
  const json = isJsonValue(body) || (typeof body === "string" && Boolean(koa.response.is("json")));
  if (json) {
    if (!spec.schema) return { message: "sent a JSON body where the contract declares none" };
    return checkJson(spec.schema, body);
  }
  if (spec.media) {
    const types = mediaTypes(spec.media);
    if (body === null || body === undefined || !koa.response.is([...types])) {
      return { message: `expected ${types.join(" or ")}, sent ${koa.type || "no body"}` };
    }
    return undefined;
  }
  if (spec.schema) return { message: `expected a JSON body, sent ${koa.type || "no body"}` };
  if (spec.redirect)
    return koa.response.get("location") ? undefined : { message: "redirect without a Location" };
  if (body !== null && body !== undefined)
    return { message: `sent ${koa.type || "a body"} where the contract declares none` };
  return undefined;
}

/**
 * Test-time guard (`LATCHFLOW_CONTRACT_CHECK=true`): every response of a contract operation, success or error,
 * is checked with {@link contractMismatch}. A mismatch is logged with the operationId, status and issues, and
 * the client gets 500 `internal` naming it, so the test that caused it fails. Sits outside the error handler,
 * so it sees error bodies as sent.
 */
export function contractCheck(logger: Logger): Middleware {
  return async (koa, next) => {
    await next();
    const op = koa.state[MATCHED_OPERATION] as Operation | undefined;
    if (!op) return;
    const mismatch = contractMismatch(op, koa);
    if (!mismatch) return;
    const status = koa.status;
    logger.error(
      { operationId: op.operationId, status, mismatch: mismatch.message, issues: mismatch.issues },
      "response does not match the contract",
    );
    if (koa.headerSent) return;
    if (koa.body instanceof Readable) koa.body.destroy();
    koa.status = 500;
    koa.body = {
      error: {
        code: ErrorCode.Internal,
        message:
          `Response does not match the contract: ${op.operationId} ${status}: ${mismatch.message}`.slice(
            0,
            2000,
          ),
        requestId: String(koa.state.requestId ?? ""),
      },
    };
  };
}
