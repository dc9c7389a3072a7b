import type { AnyCommand, ArgSpec, OptionSpec } from "./command.js";
import { GLOBAL_OPTIONS } from "./globals.js";
import { GROUPS } from "./registry.js";

const flag = (name: string, o: OptionSpec) => {
  const negated = o.negatable ? `--no-${name}` : `--${name}`;
  const short = o.short ? `-${o.short}, ` : "";
  return `${short}${negated}${o.value ? ` ${o.value}` : ""}`;
};

function optionLines(options: Record<string, OptionSpec>): string[] {
  const entries = Object.entries(options);
  const width = Math.max(0, ...entries.map(([n, o]) => flag(n, o).length));
  return entries.map(([n, o]) => `  ${flag(n, o).padEnd(width)}  ${o.description}`);
}

const argText = (a: ArgSpec) => {
  const name = `${a.name}${a.variadic ? "..." : ""}`;
  return a.required ? name : `[${name}]`;
};

/** `latchflow bundles list --help`. */
export function commandHelp(c: AnyCommand): string {
  const lines = [c.summary, "", `Usage: ${c.usage}`, "", `Who may run it: ${c.access}`];
  if (c.args.length > 0) lines.push(`Arguments: ${c.args.map(argText).join(" ")}`);
  if (Object.keys(c.options).length > 0) lines.push("", "Options:", ...optionLines(c.options));
  lines.push("", "Global options:", ...optionLines(GLOBAL_OPTIONS));
  if (c.output) lines.push("", `With --json, prints: ${c.output.description}`);
  lines.push("", c.examples.length > 1 ? "Examples:" : "Example:", ...c.examples.map((e) => `  ${e}`));
  lines.push(
    "",
    "Exit codes: 0 ok, 1 error, 2 usage, 3 not signed in / forbidden, 4 not found, 5 conflict or limit",
  );
  return lines.join("\n");
}

/** `latchflow bundles --help`: the group's commands. */
export function groupHelp(word: string, commands: readonly AnyCommand[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(" ").length));
  return [
    GROUPS[word]?.summary ?? word,
    "",
    `Usage: latchflow ${word} <command> [options]`,
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.path.join(" ").padEnd(width)}  ${c.summary}`),
    "",
    `Run \`latchflow ${word} <command> --help\` for a command's options and an example.`,
  ].join("\n");
}

/** The operator part of the top-level help (the launcher's commands are listed by main.ts). */
export function operatorUsage(): string {
  const words = Object.keys(GROUPS);
  const width = Math.max(...words.map((w) => w.length));
  return [
    "Operator commands (talk to a server over REST; `latchflow <command> --help` for details):",
    ...words.map((w) => `  ${w.padEnd(width)}  ${GROUPS[w]!.summary}`),
    "",
    "Global options: --server URL, --profile NAME, --json, --no-color (also NO_COLOR), -h/--help",
  ].join("\n");
}
