import { actionInput, type Host, type Json } from "@latchflow/plugin-sdk";
import { defineBuiltin } from "../lib/define.js";
import { parseBody } from "../lib/json-body.js";
import { SIGNATURE_HEADER, sign, TIMESTAMP_HEADER } from "../lib/signature.js";
import { renderJson, templateContext } from "../lib/template.js";
import { durationMs, instantMs } from "../lib/time.js";
import { httpManifest } from "../manifests/http.js";

interface HttpConfig {
  url: string;
  method?: "POST" | "PUT" | "PATCH";
  headers?: Record<string, string>;
  body?: Json;
  signWithSecret?: string;
  /** Passed to the host's `fetch` (`timeoutMs`), which never waits longer than its own egress timeout. */
  timeout?: string;
}

/** Headers the step may not set; the host owns credentials, routing and the signature. */
const RESERVED = new Set([
  "authorization",
  "cookie",
  "host",
  "content-length",
  TIMESTAMP_HEADER,
  SIGNATURE_HEADER,
]);

export const httpPlugin = defineBuiltin(httpManifest, async (raw: Json, host: Host) => {
  const input = actionInput(raw);
  const config = input.config as unknown as HttpConfig;
  if (!/^https:\/\//i.test(config.url)) throw new Error("url must start with https://");
  const body =
    config.body === undefined ? "" : JSON.stringify(renderJson(config.body, templateContext(input)));

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.headers ?? {})) {
    if (RESERVED.has(name.toLowerCase())) throw new Error(`header ${name} may not be set`);
    headers[name.toLowerCase()] = value;
  }
  if (config.body !== undefined) headers["content-type"] = "application/json";
  headers["idempotency-key"] = input.run.idempotencyKey;
  if (config.signWithSecret !== undefined) {
    const secret = await host.secrets.get(config.signWithSecret);
    if (secret === null || secret === "") throw new Error(`secret ${config.signWithSecret} is not set`);
    const timestamp = String(Math.floor(instantMs(input.now, "now") / 1_000));
    headers[TIMESTAMP_HEADER] = timestamp;
    headers[SIGNATURE_HEADER] = sign(secret, timestamp, body);
  }

  const response = await host.fetch(config.url, {
    method: config.method ?? "POST",
    headers,
    ...(config.body === undefined ? {} : { body }),
    ...(config.timeout === undefined ? {} : { timeoutMs: durationMs(config.timeout, "timeout") }),
  });
  if (response.status < 200 || response.status > 299) {
    const retryable = response.status >= 500 || response.status === 429;
    // the sandbox carries `code` (as details.pluginCode) and `retryable`: the step's retry policy sees them
    throw Object.assign(
      new Error(
        `http_status ${response.status} from ${hostOf(config.url)} (${retryable ? "retryable" : "permanent"})`,
      ),
      { code: "http_status", status: response.status, retryable },
    );
  }
  return { status: response.status, body: parseBody(response.body, response.headers["content-type"]) };
});

/** The host part of an https URL, for messages (the sandbox has no `URL`). */
function hostOf(url: string): string {
  return /^https:\/\/([^/?#]*)/i.exec(url)?.[1]?.replace(/^.*@/, "") ?? "";
}
