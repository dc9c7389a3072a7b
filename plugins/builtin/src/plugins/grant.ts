import {
  type ActionInput,
  actionInput,
  type GrantRequest,
  type Host,
  type Json,
} from "@latchflow/plugin-sdk";
import { defineBuiltin } from "../lib/define.js";
import { renderTemplate, templateContext } from "../lib/template.js";
import { durationMs, instantMs, iso } from "../lib/time.js";
import { grantManifest } from "../manifests/grant.js";

interface GrantConfig {
  bundle: string;
  recipients: string[];
  maxDownloads?: number;
  cooldown?: string;
  notBefore?: string;
  notAfter?: string;
  expiresIn?: string;
  passphrase?: string;
  notify?: boolean;
  message?: string;
  requireAcknowledgement?: boolean;
}

export const grantPlugin = defineBuiltin(grantManifest, async (raw: Json, host: Host) => {
  const input = actionInput(raw);
  const config = input.config as unknown as GrantConfig;
  const notify = config.notify !== false;
  // rendered before granting: a missing template value fails the step with nothing done; the same text goes
  // to the assignment (shown in the portal before the download) and into the email
  const note =
    config.message !== undefined ? renderTemplate(config.message, templateContext(input), "text") : undefined;
  const request = grantRequest(input, config, note);
  const result = (await host.bundles.grant(request)) as { assignments?: unknown; bundleId?: unknown } | null;
  const assignments = Array.isArray(result?.assignments) ? result.assignments : null;
  if (
    assignments === null ||
    typeof result?.bundleId !== "string" ||
    !assignments.every((a) => typeof a?.assignmentId === "string")
  ) {
    throw new Error("bundles.grant returned an unexpected result");
  }
  // the email links straight to the bundle's page (the portal asks to sign in first, then comes back to it)
  const page = `${input.portalUrl}bundles/${encodeURIComponent(result.bundleId)}`;
  const notified: string[] = [];
  if (notify) {
    for (const recipient of config.recipients) {
      await host.mail.send({
        to: [recipient],
        subject: "Files have been shared with you",
        text: notificationText(input, request, note, page),
        idempotencyKey: `${input.run.idempotencyKey}:notify:${recipient}`,
      });
      notified.push(recipient);
    }
  }
  return { assignmentIds: assignments.map((a: { assignmentId: string }) => a.assignmentId), notified };
});

function grantRequest(input: ActionInput, config: GrantConfig, message: string | undefined): GrantRequest {
  const now = instantMs(input.now, "now");
  const notBefore = config.notBefore === undefined ? null : instantMs(config.notBefore, "notBefore");
  let notAfter: number | null = null;
  if (config.notAfter !== undefined) notAfter = instantMs(config.notAfter, "notAfter");
  else if (config.expiresIn !== undefined)
    notAfter = (notBefore ?? now) + durationMs(config.expiresIn, "expiresIn");
  return {
    bundle: config.bundle,
    recipients: config.recipients,
    maxDownloads: config.maxDownloads ?? 0,
    cooldownSeconds:
      config.cooldown === undefined ? 0 : Math.ceil(durationMs(config.cooldown, "cooldown") / 1_000),
    notBefore: notBefore === null ? null : iso(notBefore),
    notAfter: notAfter === null ? null : iso(notAfter),
    passphrase: config.passphrase ?? null,
    idempotencyKey: input.run.idempotencyKey,
    message: message !== undefined && message.trim() !== "" ? message : "",
    acknowledgementRequired: config.requireAcknowledgement === true,
  };
}

function notificationText(
  input: ActionInput,
  request: GrantRequest,
  note: string | undefined,
  page: string,
): string {
  const lines = ["Files have been made available to you.", ""];
  if (note !== undefined && note.trim() !== "") lines.push(note, "");
  if (request.acknowledgementRequired) {
    lines.push("Before the first download you will be asked to confirm that you have read this message.", "");
  }
  lines.push(`Open this page to download them (you sign in with a code we email you): ${page}`);
  if (request.notBefore !== null && request.notBefore > iso(instantMs(input.now, "now"))) {
    lines.push(`They can be downloaded from ${request.notBefore} (UTC).`);
  }
  if (request.notAfter !== null) lines.push(`They can be downloaded until ${request.notAfter} (UTC).`);
  if (request.passphrase !== null) lines.push("You will need the passphrase you were given separately.");
  return `${lines.join("\n")}\n`;
}
