import { actionInput, type Host, type Json, type PublishRequest } from "@latchflow/plugin-sdk";
import { defineBuiltin } from "../lib/define.js";
import { durationMs, instantMs, iso } from "../lib/time.js";
import { publishManifest } from "../manifests/publish.js";

interface PublishConfig {
  bundle: string;
  expiresIn: string;
  maxUses?: number;
}

export const publishPlugin = defineBuiltin(publishManifest, async (raw: Json, host: Host) => {
  const input = actionInput(raw);
  const config = input.config as unknown as PublishConfig;
  const request: PublishRequest = {
    bundle: config.bundle,
    expiresAt: iso(instantMs(input.now, "now") + durationMs(config.expiresIn, "expiresIn")),
    maxUses: config.maxUses ?? 0,
    idempotencyKey: input.run.idempotencyKey,
  };
  const result = await host.links.publish(request);
  const { url, expiresAt, linkId } = (result ?? {}) as Record<string, unknown>;
  if (typeof url !== "string" || typeof expiresAt !== "string" || typeof linkId !== "string") {
    throw new Error("links.publish returned an unexpected result");
  }
  return { url, expiresAt, linkId };
});
