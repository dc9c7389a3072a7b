import { type Json, triggerInput } from "@latchflow/plugin-sdk";
import { defineBuiltin } from "../lib/define.js";
import { errorResponse } from "../lib/responses.js";
import { manualManifest } from "../manifests/manual.js";

/**
 * Manual runs never pass through this code: the kernel starts them itself for
 * `POST /api/v1/pipelines/{name}/runs` and checks the payload against `payloadSchema` there (422).
 * The trigger sets no timers and refuses requests and controls.
 */
export const manualPlugin = defineBuiltin(manualManifest, async (raw: Json) => {
  const event = triggerInput(raw).event;
  if (event.type === "arm" || event.type === "timer") return { timers: [] };
  if (event.type === "status") return {};
  return errorResponse(
    405,
    "not_supported",
    "manual runs are started with POST /api/v1/pipelines/{name}/runs",
  );
});
