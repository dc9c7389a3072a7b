// The operator commands' entry: finds the command (loading only its group), parses its flags with
// node:util parseArgs, prints help, runs it, and turns any failure into one message, a hint and an exit code.
import { parseArgs } from "node:util";
import type { AnyCommand, ApiClient, Context, GlobalOptions, OptionSpec } from "./command.js";
import { resolveCredentials } from "./credentials.js";
import { API_ERRORS, CliError, ExitCode, usageError } from "./exit-codes.js";
import { GLOBAL_OPTIONS } from "./globals.js";
import { commandHelp, groupHelp } from "./help.js";
import { closeConnections, httpFetch, type LiteBody, type LiteResponse } from "./http-fetch.js";
import { Output, type Stream } from "./output.js";
import { GROUPS } from "./registry.js";

export interface Io {
  stdout: Stream;
  stderr: Stream;
  env: Record<string, string | undefined>;
}

export { isOperatorArgv } from "./registry.js";

const USER_AGENT = "latchflow-cli/0.1.0";
const GLOBAL_WITH_VALUE = new Set(["--server", "--profile"]);

/** Splits `--server X --json bundles list --limit 5` into the leading global flags and the rest. */
function leadingGlobals(argv: string[]): { globals: string[]; rest: string[] } {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith("-")) {
    const a = argv[i]!;
    i += GLOBAL_WITH_VALUE.has(a) ? 2 : 1;
  }
  return { globals: argv.slice(0, i), rest: argv.slice(i) };
}

/**
 * The command typed: `login` (a one-word command) or `bundles list` (the group's word, then the first word
 * that is not a flag or a global flag's value).
 */
function findCommand(commands: readonly AnyCommand[], word: string, rest: string[]): AnyCommand | undefined {
  // the words before the first flag-free positional that is not a command word: `plugins secrets set X`
  const words: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (GLOBAL_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith("-")) words.push(a);
  }
  // the longest command path that the words begin with (`plugins secrets set` before `plugins secrets list`)
  let best: AnyCommand | undefined;
  for (const c of commands) {
    if (c.path[0] !== word || !c.path.every((w, i) => words[i] === w)) continue;
    if (!best || c.path.length > best.path.length) best = c;
  }
  return best;
}

function parse(command: AnyCommand, args: string[]) {
  const spec: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries({ ...GLOBAL_OPTIONS, ...command.options }) as [
    string,
    OptionSpec,
  ][]) {
    spec[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    };
  }
  return parseArgs({ args, options: spec, allowPositionals: true, allowNegative: true, strict: true });
}

function checkArgs(command: AnyCommand, positionals: string[], line: string): void {
  const required = command.args.filter((a) => a.required).length;
  const variadic = command.args.some((a) => a.variadic);
  if (positionals.length < required) {
    const missing = command.args.filter((a) => a.required)[positionals.length]!;
    throw usageError(`missing ${missing.name}`, line);
  }
  if (!variadic && positionals.length > command.args.length) {
    throw usageError(`unexpected argument "${positionals[command.args.length]}"`, line);
  }
}

/** Any failure as a CliError: the server's code through the one table, network and usage errors by kind. */
export function toCliError(err: unknown, line: string, server?: string): CliError {
  if (err instanceof CliError) return err;
  const e = err as Error & { code?: unknown; requestId?: string; cause?: { code?: string } };
  if (e?.name === "ApiError" && typeof e.code === "string" && e.code in API_ERRORS) {
    const mapped = API_ERRORS[e.code as keyof typeof API_ERRORS];
    const hint = mapped.hint.replace(
      "latchflow <group> list",
      `latchflow ${line.split(" ")[1] ?? "<group>"} list`,
    );
    const id = e.requestId ? ` (request ${e.requestId})` : "";
    return new CliError(`${e.message}${id}`, mapped.exit, hint, e.code);
  }
  if (typeof e?.code === "string" && e.code.startsWith("ERR_PARSE_ARGS")) return usageError(e.message, line);
  if (e?.name === "AbortError" || e?.name === "TimeoutError") {
    return new CliError("interrupted", ExitCode.Error, "run the command again", "interrupted");
  }
  if (e instanceof TypeError && e.message === "fetch failed") {
    return new CliError(
      `cannot reach ${server ?? "the server"}${e.cause?.code ? ` (${e.cause.code})` : ""}`,
      ExitCode.Error,
      "check that the server is running and the address is right (--server or LATCHFLOW_SERVER)",
      "unreachable",
    );
  }
  return new CliError(
    e?.message ?? String(err),
    ExitCode.Error,
    "if this persists, report it with the command you ran",
  );
}

function report(out: Output, err: CliError): void {
  if (out.json) {
    out.note(
      JSON.stringify({
        error: { code: err.code, message: err.message, hint: err.hint, exitCode: err.exitCode },
      }),
    );
    return;
  }
  out.note(`${out.style("red", "error:", true)} ${err.message}`);
  out.note(`  ${out.style("dim", "→", true)} ${err.hint}`);
}

/** Runs one operator command; resolves with the process's exit code. */
export async function runOperator(argv: string[], io: Io = defaultIo()): Promise<number> {
  const { globals, rest } = leadingGlobals(argv);
  const word = rest[0];
  const group = word !== undefined && Object.hasOwn(GROUPS, word) ? GROUPS[word] : undefined;
  // until the flags are parsed, errors print with the flags seen so far
  let out = new Output({ ...io, json: argv.includes("--json"), color: !argv.includes("--no-color") });
  if (!group || word === undefined) {
    report(out, usageError(`unknown command "${word ?? ""}"`, "latchflow"));
    return ExitCode.Usage;
  }
  const { commands } = await group.load();
  const command = findCommand(commands, word, rest);
  if (!command) {
    const mine = commands.filter((c) => c.path[0] === word);
    const wantsHelp = rest.includes("--help") || rest.includes("-h");
    const sub = rest.slice(1).find((a) => !a.startsWith("-"));
    if (sub === undefined) {
      // `latchflow bundles`: the group's commands (a usage error unless help was asked for)
      (wantsHelp ? io.stdout : io.stderr).write(`${groupHelp(word, mine)}\n`);
      return wantsHelp ? ExitCode.Ok : ExitCode.Usage;
    }
    report(out, usageError(`unknown command "latchflow ${word} ${sub}"`, `latchflow ${word}`));
    return ExitCode.Usage;
  }
  const line = `latchflow ${command.path.join(" ")}`;
  // the path's words are removed once each, wherever the flags are
  const args = [...globals, ...rest];
  for (const w of command.path) args.splice(args.indexOf(w), 1);
  let server: string | undefined;
  try {
    const { values, positionals } = parse(command, args);
    const global: GlobalOptions = {
      json: values.json === true,
      color: values.color !== false,
      ...(typeof values.server === "string" ? { server: values.server } : {}),
      ...(typeof values.profile === "string" ? { profile: values.profile } : {}),
    };
    out = new Output({ ...io, json: global.json, color: global.color });
    if (values.help) {
      io.stdout.write(`${commandHelp(command)}\n`);
      return ExitCode.Ok;
    }
    checkArgs(command, positionals, line);
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once("SIGINT", onSigint);
    // parseArgs returned exactly the command's options (strict), typed by its definition
    const options = Object.fromEntries(
      Object.entries(values).filter(([k]) => !(k in GLOBAL_OPTIONS)),
    ) as Context["options"];
    const ctx: Context = {
      options,
      args: positionals,
      global,
      out,
      env: io.env,
      commandLine: line,
      signal: controller.signal,
      credentials: () => resolveCredentials(global, io.env),
      async api() {
        const creds = await resolveCredentials(global, io.env);
        server = creds.server;
        return await client(creds.server, creds.token);
      },
      async anonymousApi(url) {
        server = url;
        return await client(url, undefined);
      },
    };
    try {
      return (await command.run(ctx)) ?? ExitCode.Ok;
    } finally {
      process.removeListener("SIGINT", onSigint);
      closeConnections();
    }
  } catch (err) {
    const cli = toCliError(err, line, server);
    report(out, cli);
    return cli.exitCode;
  }
}

/** The typed client over node:http (see http-fetch.ts), loaded on first use. */
async function client(baseUrl: string, token: string | undefined): Promise<ApiClient> {
  const { createClient } = await import("@latchflow/api/client");
  return createClient<LiteResponse, LiteBody>({
    baseUrl,
    ...(token ? { token } : {}),
    headers: { "user-agent": USER_AGENT },
    fetch: httpFetch,
  });
}

function defaultIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
