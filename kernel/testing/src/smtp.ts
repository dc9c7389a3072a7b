import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface CapturedMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** when the message's data began to arrive (epoch ms) */
  receivedAt: number;
}

export interface SmtpCapture {
  /** `smtp://127.0.0.1:<port>` for LATCHFLOW_SMTP_URL */
  url: string;
  messages: CapturedMail[];
  /** Waits (bounded) for a message to `to` matching `predicate`, newest first. */
  waitFor(to: string, predicate?: (m: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>;
  /** Messages to one address so far. */
  to(address: string): CapturedMail[];
  stop(): Promise<void>;
}

function addresses(parsed: ParsedMail): string[] {
  const list = Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : [];
  return list.flatMap((a) => a.value.map((v) => (v.address ?? "").toLowerCase()));
}

/** An in-process SMTP server on 127.0.0.1 that keeps every message it receives (for tests). */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const messages: CapturedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      const receivedAt = Date.now();
      simpleParser(stream)
        .then((parsed) => {
          messages.push({
            to: addresses(parsed),
            subject: parsed.subject ?? "",
            text: parsed.text ?? "",
            html: typeof parsed.html === "string" ? parsed.html : "",
            receivedAt,
          });
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const addr = server.server.address();
      resolve(typeof addr === "object" && addr ? addr.port : 0);
    });
  });
  const to = (address: string) => messages.filter((m) => m.to.includes(address.toLowerCase()));
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    to,
    async waitFor(address, predicate = () => true, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const found = to(address).reverse().find(predicate);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`No mail to ${address} within ${timeoutMs} ms (${messages.length} messages captured)`);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
