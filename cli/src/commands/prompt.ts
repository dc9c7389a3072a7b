// Asking the person at the terminal: yes/no confirmations for changes, and secrets read without echo. Both
// refuse to guess when nobody is there (stdin or stderr not a terminal): the command says which flag to pass.
import { CliError, ExitCode } from "./exit-codes.js";

/** What prompts read from and write to (process.stdin / process.stderr, or fakes in tests). */
export interface Terminal {
  stdin: NodeJS.ReadStream;
  stderr: NodeJS.WriteStream;
}

const terminal = (): Terminal => ({ stdin: process.stdin, stderr: process.stderr });

/** Whether a person can answer a prompt: stdin and stderr are both terminals. */
export function isInteractive(t: Terminal = terminal()): boolean {
  return Boolean(t.stdin.isTTY && t.stderr.isTTY);
}

/**
 * Asks `question [y/N]` on stderr; true only for y/yes. Without a terminal it refuses with exit 2 and a hint
 * naming `--yes`, so scripts never hang on a prompt nobody sees.
 */
export async function confirm(
  question: string,
  commandLine: string,
  t: Terminal = terminal(),
): Promise<boolean> {
  if (!isInteractive(t)) {
    throw new CliError(
      "refusing to change the server without confirmation: no terminal to ask on",
      ExitCode.Usage,
      `review what it would do, then run the same command with --yes (\`${commandLine} … --yes\`)`,
      "confirmation_required",
    );
  }
  t.stderr.write(`${question} [y/N] `);
  const answer = await readLine(t.stdin);
  return /^y(es)?$/i.test(answer.trim());
}

function readLine(stdin: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      const nl = text.indexOf("\n");
      if (nl >= 0) finish(text.slice(0, nl));
    };
    const onEnd = () => finish(text);
    const finish = (line: string) => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      stdin.pause();
      resolve(line.replace(/\r$/, ""));
    };
    stdin.on("data", onData);
    stdin.once("end", onEnd);
    stdin.resume();
  });
}

/** Everything on stdin (a piped secret or document), without one trailing newline. */
export async function readStdin(stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/**
 * A secret typed at the terminal with echo off (raw mode: Enter ends it, Backspace erases, Ctrl-C aborts).
 */
export function promptSecret(question: string, t: Terminal = terminal()): Promise<string> {
  const { stdin, stderr } = t;
  stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = "";
    stdin.setRawMode(true);
    stdin.setEncoding("utf8");
    const done = (err?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(Object.assign(new Error("interrupted"), { name: "AbortError" }));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
    stdin.resume();
  });
}
