// `--message`, `--message-file` and `--require-ack`: the sender's message to a recipient (ADR 021).
import { readFile } from "node:fs/promises";
import { MESSAGE_RULE, normalizeMessage } from "@latchflow/api/rules";
import type { OptionSpec } from "./command.js";
import { usageError } from "./exit-codes.js";

export const messageOptions = {
  message: {
    type: "string",
    value: "TEXT",
    description: `plain text the recipient reads before downloading (≤ ${MESSAGE_RULE.maxLength} characters; "" removes it)`,
  },
  "message-file": {
    type: "string",
    value: "FILE",
    description: "read the message from a UTF-8 text file (- = standard input)",
  },
  "require-ack": {
    type: "boolean",
    description: "the recipient must confirm reading the message before the first download",
  },
  "no-require-ack": { type: "boolean", description: "no confirmation needed" },
} as const satisfies Record<string, OptionSpec>;

async function stdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The message fields of an assignment body from the options (nothing when none was given). */
export async function messageFields(
  o: { message?: string; "message-file"?: string; "require-ack"?: boolean; "no-require-ack"?: boolean },
  commandLine: string,
): Promise<{ message?: string; acknowledgementRequired?: boolean }> {
  if (o.message !== undefined && o["message-file"] !== undefined)
    throw usageError("give either --message or --message-file", commandLine);
  // parseArgs (allowNegative) reads --no-require-ack as require-ack = false
  const noAck = o["no-require-ack"] === true || o["require-ack"] === false;
  if (o["require-ack"] === true && o["no-require-ack"] === true)
    throw usageError("give either --require-ack or --no-require-ack", commandLine);
  let message = o.message;
  if (o["message-file"] !== undefined) {
    const file = o["message-file"];
    message =
      file === "-"
        ? await stdin()
        : await readFile(file, "utf8").catch((err: Error) => {
            throw usageError(`cannot read --message-file ${file}: ${err.message}`, commandLine);
          });
    // a file usually ends with a newline the sender did not mean as part of the message
    message = message.replace(/\r?\n$/, "");
  }
  if (message !== undefined && normalizeMessage(message) === undefined) {
    throw usageError(
      `the message must be plain text of at most ${MESSAGE_RULE.maxLength} characters, without control characters other than tab and newline`,
      commandLine,
    );
  }
  return {
    ...(message !== undefined ? { message } : {}),
    ...(o["require-ack"] === true ? { acknowledgementRequired: true } : {}),
    ...(noAck ? { acknowledgementRequired: false } : {}),
  };
}
