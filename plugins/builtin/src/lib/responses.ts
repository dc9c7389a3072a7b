import type { TriggerEvent, TriggerResult } from "@latchflow/plugin-sdk";

/** An HTTP answer in the REST error shape (`{ error: { code, message } }`). */
export function errorResponse(status: number, code: string, message: string): TriggerResult {
  return { response: { status, body: { error: { code, message } } } };
}

/** The answer of a trigger to an event it does not handle: 405 for requests and controls, nothing else. */
export function unsupported(event: TriggerEvent, uses: string): TriggerResult {
  if (event.type === "request" || event.type === "control") {
    const what = event.type === "request" ? "HTTP requests" : `the "${event.action}" action`;
    return errorResponse(405, "not_supported", `${uses} does not accept ${what}`);
  }
  return {};
}
