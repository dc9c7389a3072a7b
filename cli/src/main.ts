// The `latchflow` command: a small dispatcher, cheap to load. The launcher (src/launcher/: `start`, `keys`,
// and the `audit` commands that open the audit database) runs server-side and imports the services; it is
// imported only when one of its commands runs, so that operator commands (src/commands/, REST only) and
// `help` never load it. Keep heavy imports out of this file (ADR 019).

const USAGE = `Usage: latchflow <command> [options]

Commands:
  start                      Start everything in one process (embedded: SQLite, in-process bus, local files)
  start --service <name>     Start one service: auth, bundles, storage, audit, kernel or gateway
  keys <command>             Master keys: status, rotate, prune, generate (latchflow keys help)
  audit <command>            Audit log: verify (also an export offline), checkpoint, public-key (latchflow audit help)
  help                       Show this help

Configuration comes from LATCHFLOW_* environment variables (see README).`;

type Line = (line: string) => void;
/** A command: its arguments (after the command's name) in, the exit code out. */
type Command = (args: string[], out: Line, err: Line) => Promise<number>;

/** The launcher's commands, each loaded on first use. */
const LAUNCHER: Record<string, () => Promise<Command>> = {
  start: async () => (await import("./launcher/start-command.js")).startCommand,
  keys: async () => (await import("./launcher/keys.js")).keys,
  // verify, checkpoint, public-key (and the audit help); REST-backed audit commands belong in src/commands/
  audit: async () => (await import("./launcher/audit.js")).audit,
};

const out: Line = (line) => process.stdout.write(`${line}\n`);
const err: Line = (line) => process.stderr.write(`${line}\n`);

/** Entry point of the `latchflow` command; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const load = command !== undefined && Object.hasOwn(LAUNCHER, command) ? LAUNCHER[command] : undefined;
    if (load) return await (await load())(rest, out, err);
    if (command === undefined || command === "help" || command === "--help" || command === "-h") {
      out(USAGE);
      return 0;
    }
    err(`Unknown command "${command}".\n\n${USAGE}`);
    return 2;
  } catch (e) {
    err(`latchflow: ${(e as Error).message}`);
    return 1;
  }
}
