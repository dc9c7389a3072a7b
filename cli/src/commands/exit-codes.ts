import type { ErrorCode } from "@latchflow/api";

/** The documented exit codes of every operator command (ADR 023). */
export const ExitCode = {
  Ok: 0,
  Error: 1,
  Usage: 2,
  /** not signed in, or signed in but not allowed */
  Auth: 3,
  NotFound: 4,
  /** a conflict with the server's state, or a limit (size, rate) */
  Conflict: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI explains: one message, what to do next, and the exit code. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** what the user should do next, e.g. "run `latchflow login`" */
    readonly hint: string,
    /** a stable machine-readable code for `--json` error output */
    readonly code: string = "error",
  ) {
    super(message);
  }
}

/** Bad arguments: exit 2, pointing at the command's help. */
export function usageError(message: string, command: string): CliError {
  return new CliError(message, ExitCode.Usage, `run \`${command} --help\` for usage and examples`, "usage");
}

/**
 * THE one table: a server error code → exit code and what to do next. `satisfies` makes tsc fail when the
 * contract gains a code this table does not map.
 */
export const API_ERRORS = {
  unauthenticated: { exit: ExitCode.Auth, hint: "run `latchflow login` (or set LATCHFLOW_TOKEN)" },
  permission_denied: {
    exit: ExitCode.Auth,
    hint: "ask an owner for the permission, or sign in with a broader token: `latchflow login`",
  },
  not_found: {
    exit: ExitCode.NotFound,
    hint: "check the id or name: list them with `latchflow <group> list`",
  },
  conflict: {
    exit: ExitCode.Conflict,
    hint: "the server's state changed or the name is taken: look, then retry",
  },
  capability_unavailable: {
    exit: ExitCode.Conflict,
    hint: "install or enable the plugin first: `latchflow plugins list`",
  },
  payload_too_large: { exit: ExitCode.Conflict, hint: "the server's size limit was hit: send less at once" },
  rate_limited: { exit: ExitCode.Conflict, hint: "too many requests: wait a minute and retry" },
  bad_request: { exit: ExitCode.Usage, hint: "check the arguments: run the command with `--help`" },
  validation_failed: { exit: ExitCode.Usage, hint: "check the arguments: run the command with `--help`" },
  range_not_satisfiable: {
    exit: ExitCode.Error,
    hint: "the download changed: start it again from the beginning",
  },
  unsupported_media_type: { exit: ExitCode.Error, hint: "this CLI and the server disagree: update the CLI" },
  method_not_allowed: { exit: ExitCode.Error, hint: "this CLI and the server disagree: update the CLI" },
  unimplemented: { exit: ExitCode.Error, hint: "the server does not offer this: update the server" },
  unavailable: { exit: ExitCode.Error, hint: "the server or one of its services is down: retry shortly" },
  deadline_exceeded: { exit: ExitCode.Error, hint: "the server took too long: retry shortly" },
  integrity_failed: {
    exit: ExitCode.Error,
    hint: "stored data failed its integrity check: tell the operator (see `latchflow audit`)",
  },
  internal: { exit: ExitCode.Error, hint: "a server error: retry, and report it with the request id" },
} satisfies Record<ErrorCode, { exit: ExitCode; hint: string }>;
