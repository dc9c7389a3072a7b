import { actionInput, type Host, type Json, type MailMessage } from "@latchflow/plugin-sdk";
import { defineBuiltin } from "../lib/define.js";
import { renderTemplate, templateContext } from "../lib/template.js";
import { emailManifest } from "../manifests/email.js";

interface EmailConfig {
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  html?: string;
}

export const emailPlugin = defineBuiltin(emailManifest, async (raw: Json, host: Host) => {
  const input = actionInput(raw);
  const config = input.config as unknown as EmailConfig;
  const context = templateContext(input);
  // render everything first: a missing value fails the step before anything is sent
  const message: MailMessage = {
    to: config.to,
    ...(config.cc?.length ? { cc: config.cc } : {}),
    subject: renderTemplate(config.subject, context, "subject"),
    text: renderTemplate(config.text, context, "text"),
    ...(config.html === undefined ? {} : { html: renderTemplate(config.html, context, "html") }),
    idempotencyKey: input.run.idempotencyKey,
  };
  const sent = (await host.mail.send(message)) as { messageId: string; accepted?: unknown };
  const accepted =
    Array.isArray(sent.accepted) && sent.accepted.every((a) => typeof a === "string")
      ? (sent.accepted as string[])
      : [...config.to, ...(config.cc ?? [])];
  return { messageId: sent.messageId, accepted };
});
