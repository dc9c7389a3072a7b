import {
  type Host,
  type IngressRequest,
  invalidSignature,
  type Json,
  type TriggerInput,
  triggerInput,
} from "@latchflow/plugin-sdk";
import { defineBuiltin } from "../lib/define.js";
import { parseBody } from "../lib/json-body.js";
import { recordSignature } from "../lib/replay.js";
import { errorResponse, unsupported } from "../lib/responses.js";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "../lib/signature.js";
import { instantMs } from "../lib/time.js";
import { webhookManifest } from "../manifests/webhook.js";

interface WebhookConfig {
  secretName: string;
  maxBodyBytes?: number;
  toleranceSeconds?: number;
}

const DEFAULT_MAX_BODY = 65_536;
const DEFAULT_TOLERANCE_S = 300;
const UNIX_SECONDS = /^\d{1,12}$/;
const REMOVED_HEADERS = new Set(["authorization", "cookie"]);

export const webhookPlugin = defineBuiltin(webhookManifest, async (raw: Json, host: Host) => {
  const input = triggerInput(raw);
  const event = input.event;
  if (event.type === "arm") return { timers: [] };
  if (event.type !== "request") return unsupported(event, input.trigger.uses);
  return await handle(input, event.request, host);
});

async function handle(input: TriggerInput, request: IngressRequest, host: Host) {
  const config = input.config as unknown as WebhookConfig;
  const secret = await host.secrets.get(config.secretName);
  if (secret === null || secret === "") {
    host.log("error", "webhook secret missing", { secretName: config.secretName });
    return errorResponse(500, "secret_missing", "the webhook's signing secret is not configured");
  }
  const timestamp = (request.headers[TIMESTAMP_HEADER] ?? "").trim();
  const signature = request.headers[SIGNATURE_HEADER] ?? "";
  if (!UNIX_SECONDS.test(timestamp) || !verifySignature(secret, timestamp, request.body, signature)) {
    return invalidSignature();
  }
  // after the signature: an unsigned request learns nothing about this trigger (not even its size limit)
  const maxBody = config.maxBodyBytes ?? DEFAULT_MAX_BODY;
  if (request.bodyBytes > maxBody) {
    return errorResponse(413, "payload_too_large", `the body exceeds ${maxBody} bytes`);
  }
  const now = instantMs(input.now, "now");
  const timestampMs = Number(timestamp) * 1_000;
  const toleranceMs = (config.toleranceSeconds ?? DEFAULT_TOLERANCE_S) * 1_000;
  if (Math.abs(now - timestampMs) > toleranceMs) {
    return errorResponse(401, "signature_expired", "X-Latchflow-Timestamp is outside the replay window");
  }
  const hex = signature.trim().slice("sha256=".length);
  const replay = await recordSignature(host, hex, timestampMs, now, toleranceMs);
  if (replay === "replayed") return errorResponse(401, "replayed", "this signature was already used");
  if (replay === "full") {
    host.log("warn", "webhook replay window full", {});
    return errorResponse(429, "too_many_requests", "too many requests inside the replay window");
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (!REMOVED_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  const contentType = headers["content-type"];
  const payload: { [key: string]: Json } = {
    receivedAt: request.receivedAt,
    headers,
    body: parseBody(request.body, contentType),
  };
  if (contentType !== undefined) payload.contentType = contentType;
  host.emit({ kind: "fired", payload });
  return { response: { status: 202, body: { accepted: true } } };
}
