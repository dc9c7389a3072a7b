import type { Transporter } from "nodemailer";
import type { Config } from "./config.js";
import { ErrorCode, LatchflowError } from "./errors.js";
import type { Logger } from "./logger.js";

export interface MailMessage {
  to: string | string[];
  cc?: string[];
  subject: string;
  text: string;
  html?: string;
  /** A fixed Message-ID (`<…@…>`): a resend after a crash carries the same id, so receivers can dedupe. */
  messageId?: string;
}

export interface SentMail {
  messageId: string;
  accepted: string[];
}

export interface Mailer {
  /** Sends one message; rejects with `unavailable` when no SMTP server is configured (outside development). */
  send(message: MailMessage): Promise<SentMail>;
  close(): void;
}

/** Pooled connections kept open at most, unless the URL says (`maxConnections=`); nodemailer's own is 5. */
export const SMTP_MAX_CONNECTIONS = 16;

/**
 * The SMTP URL with connection pooling on unless it says otherwise (`pool=false`): a connection and its
 * handshake per message cost more than the message itself (pipelines send one per step). Up to
 * {@link SMTP_MAX_CONNECTIONS} connections: with nodemailer's 5, concurrent runs queued for a connection
 * (ADR 047: 140 sends waiting, 1.3 s each at p50, in the pipelines bench).
 */
export function pooled(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  if (!url.searchParams.has("pool")) url.searchParams.set("pool", "true");
  if (url.searchParams.get("pool") !== "false" && !url.searchParams.has("maxConnections")) {
    url.searchParams.set("maxConnections", String(SMTP_MAX_CONNECTIONS));
  }
  return url.toString();
}

/**
 * Outgoing mail over SMTP (`LATCHFLOW_SMTP_URL`). Without SMTP in development the message is written to the
 * log instead (so sign-in links can be followed locally); in production that is refused, never logged.
 */
export function createMailer(config: Config, logger: Logger): Mailer {
  const log = logger.child({ component: "mail" });
  const smtpUrl = config.mail.smtpUrl ? pooled(config.mail.smtpUrl) : undefined;
  // nodemailer (~3.5 MB of heap) is loaded by the first message, not by every process that might send one (ADR 053)
  let transport: Promise<Transporter> | undefined;
  return {
    async send(message) {
      if (!smtpUrl) {
        if (config.development) {
          log.info(
            { to: message.to, subject: message.subject, text: message.text },
            "mail not sent: no SMTP (development)",
          );
          return { messageId: message.messageId ?? "", accepted: [] };
        }
        throw new LatchflowError(ErrorCode.Unavailable, "Mail is not configured (LATCHFLOW_SMTP_URL)");
      }
      try {
        // a failed load is tried again by the next message
        transport ??= import("nodemailer")
          .then((m) => m.createTransport(smtpUrl))
          .catch((err: unknown) => {
            transport = undefined;
            throw err;
          });
        const info = await (await transport).sendMail({ from: config.mail.from, ...message });
        return {
          messageId: String(info.messageId ?? message.messageId ?? ""),
          accepted: ((info.accepted ?? []) as Array<string | { address: string }>).map((a) =>
            typeof a === "string" ? a : a.address,
          ),
        };
      } catch (err) {
        throw new LatchflowError(ErrorCode.Unavailable, "Mail could not be sent", { cause: err });
      }
    },
    close() {
      transport?.then((t) => t.close()).catch(() => {});
    },
  };
}
