import type * as Api from "@latchflow/api";
import type { Client } from "@latchflow/api";
import type { z } from "zod";
import type { LiteBody, LiteResponse } from "./http-fetch.js";
import type { Output } from "./output.js";

/** The CLI's typed client: it fetches over node:http, so a call that is not JSON answers with a LiteResponse. */
export type ApiClient = Client<LiteResponse, LiteBody>;

/** One option of a command, in node:util parseArgs' terms plus what `--help` and completion show. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  description: string;
  /** the value's placeholder in help, e.g. `N` for `--limit N` */
  value?: string;
  /** a boolean shown and typed as `--no-NAME` (parseArgs' allowNegative sets NAME to false) */
  negatable?: boolean;
  /** the values completion offers */
  choices?: readonly string[];
}
export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S["type"] extends "boolean"
  ? S["multiple"] extends true
    ? boolean[]
    : boolean
  : S["multiple"] extends true
    ? string[]
    : string;
/** The parsed values of a command's options (absent when not given). */
export type OptionValues<O extends OptionSpecs> = { [K in keyof O]?: ValueOf<O[K]> };

/** A positional argument, for help, completion and the count check. */
export interface ArgSpec {
  name: string;
  required?: boolean;
  /** takes every remaining argument (last only) */
  variadic?: boolean;
  /** what completion offers: files, or nothing */
  complete?: "file";
}

/** The flags every operator command takes (ADR 023). */
export interface GlobalOptions {
  server?: string;
  profile?: string;
  json: boolean;
  /** false with --no-color */
  color: boolean;
}

/** Where the credentials in use came from, as `whoami` says it. */
export interface Credentials {
  server: string;
  token: string;
  profile: string;
  /** "LATCHFLOW_TOKEN", "keychain" or the config file's path */
  source: string;
}

/** What a command's `run` gets. */
export interface Context<O extends OptionSpecs = OptionSpecs> {
  options: OptionValues<O>;
  /** the positional arguments after the command's path */
  args: string[];
  global: GlobalOptions;
  out: Output;
  env: Record<string, string | undefined>;
  /** `latchflow bundles list`: for messages and hints */
  commandLine: string;
  /** the profile's server and token (flags and LATCHFLOW_* first); exit 3 with a hint when not signed in */
  credentials(): Promise<Credentials>;
  /** the typed REST client for those credentials */
  api(): Promise<ApiClient>;
  /** a REST client without a token (sign-in) for a server URL */
  anonymousApi(server: string): Promise<ApiClient>;
  /** the cancellation signal (Ctrl-C) */
  signal: AbortSignal;
}

/** A command as the registry holds it. */
export interface Command<O extends OptionSpecs = OptionSpecs> {
  /** the words after `latchflow`, e.g. ["bundles", "list"] */
  path: readonly string[];
  summary: string;
  /** e.g. `latchflow bundles list [--limit N]` */
  usage: string;
  /** at least one, shown by --help */
  examples: readonly string[];
  /** who may run it: the scope or role the server checks ("bundles:read"), or "anyone" */
  access: string;
  options: O;
  args: readonly ArgSpec[];
  /**
   * the documented `--json` shape: a description for --help, and the schema the tests check it against —
   * built on demand ({@link shape}), never when a command starts
   */
  output?: { description: string; schema: () => Promise<z.ZodType> };
  /** resolves with nothing (exit 0) or an exit code; throws CliError / ApiError for failures */
  run(ctx: Context<O>): Promise<number | undefined>;
}

/** Declares a command, keeping its option types for `run`. */
export function defineCommand<const O extends OptionSpecs>(
  c: Omit<Command<O>, "options" | "args"> & { options?: O; args?: readonly ArgSpec[] },
): Command<O> {
  if (c.examples.length === 0) throw new Error(`${c.path.join(" ")}: at least one example`);
  return { ...c, options: (c.options ?? {}) as O, args: c.args ?? [] };
}

/** Any command, whatever its options (what groups export). */
// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of commands, each checked at its definition
export type AnyCommand = Command<any>;

/** What a command group's module exports. */
export interface CommandGroup {
  commands: readonly AnyCommand[];
}

/** The REST contract's run-time values (schemas and their helpers), as `shape` hands them over. */
export type Contract = typeof Api & { z: typeof z };

/**
 * A `--json` shape built from the contract when it is asked for (the tests, docs), not when the command starts:
 * evaluating every operation's schemas costs a `bundles list` about a third of its time (ADR 023).
 */
export function shape(build: (c: Contract) => z.ZodType): () => Promise<z.ZodType> {
  return async () => build(await contract());
}

/** The contract for a command that checks an answer at run time (loaded then, once). */
export async function contract(): Promise<Contract> {
  const [api, { z }] = await Promise.all([import("@latchflow/api"), import("zod")]);
  return { ...api, z };
}
