// The operator command groups: the first word after `latchflow`, a one-line summary for the top-level help,
// and the module that holds the group's commands. Modules are imported only when their word is typed, so
// `latchflow bundles list` loads the bundles group and nothing else (no other group, never the launcher).
// Add a group: one line here, one file beside this one exporting `commands` (see command.ts).
import type { CommandGroup } from "./command.js";

export interface GroupEntry {
  summary: string;
  load: () => Promise<CommandGroup>;
}

export const GROUPS: Readonly<Record<string, GroupEntry>> = {
  login: {
    summary: "Sign in to a server (device flow) and store the token",
    load: () => import("./session.js"),
  },
  logout: { summary: "Sign out: revoke the token and forget it", load: () => import("./session.js") },
  whoami: {
    summary: "Who you are signed in as, where, and where the token is kept",
    load: () => import("./session.js"),
  },
  bundles: {
    summary: "Bundles: create, list, show, add/rm files, share, export",
    load: () => import("./bundles.js"),
  },
  pipelines: {
    summary:
      "Pipelines as code: validate, plan, apply; get, list, delete, enable/disable; run, runs, logs, check-in",
    load: () => import("./pipelines.js"),
  },
  plugins: {
    summary:
      "Plugins: list, show, install (tarball or registry), enable/disable, uninstall, approve-hosts, secrets, keys",
    load: () => import("./plugins.js"),
  },
  tokens: {
    summary: "API tokens: list, create, rotate, revoke (a new secret is printed once)",
    load: () => import("./tokens.js"),
  },
  users: {
    summary: "Users: list, invite, role",
    load: () => import("./users.js"),
  },
  audit: {
    summary:
      "Audit log over REST: tail [-f], query, export, verify --remote (server-side: `latchflow audit help`)",
    load: () => import("./audit.js"),
  },
  files: {
    summary: "Files: upload (folders, resumable), list, show, rm, mv",
    load: () => import("./files.js"),
  },
  recipients: { summary: "Recipients: add, list, import, export", load: () => import("./recipients.js") },
  assignments: {
    summary: "Assignments of bundles to recipients: list, set",
    load: () => import("./assignments.js"),
  },
  completion: {
    summary: "Print a shell completion script (bash, zsh, fish)",
    load: () => import("./completion.js"),
  },
};

/** Whether `word` starts an operator command (rather than a launcher one like `start`). */
export function isOperatorWord(word: string | undefined): boolean {
  return word !== undefined && Object.hasOwn(GROUPS, word);
}

/** The REST-only `audit` commands; `verify` is one too when the command line names a server to ask. */
const REMOTE_AUDIT = new Set(["tail", "query", "export"]);
const NAMES_A_SERVER = ["--remote", "--server", "--profile", "--json", "--help", "-h"];

/**
 * Whether `latchflow audit <args>` is the operator command (REST) rather than the launcher's (the database or a
 * file, where the server runs): `tail`, `query` and `export` always are; `verify` when given --remote, --server,
 * --profile or --json and no --file/--tenant (the launcher's own flags). `audit verify --help` is the REST
 * command's help, which names the launcher's forms too.
 */
export function isRemoteAudit(args: readonly string[]): boolean {
  const sub = args.find((a) => !a.startsWith("-"));
  if (sub !== undefined && REMOTE_AUDIT.has(sub)) return true;
  if (sub !== "verify") return false;
  const launcherOnly = args.some((a) => /^--(file|tenant|public-key|checkpoint-every)(=|$)/.test(a));
  return !launcherOnly && args.some((a) => NAMES_A_SERVER.some((f) => a === f || a.startsWith(`${f}=`)));
}

/** Whether a command line is an operator command: `bundles list`, or global flags first (`--json bundles …`). */
export function isOperatorArgv(argv: readonly string[]): boolean {
  const first = argv[0];
  if (first === "audit") return isRemoteAudit(argv.slice(1));
  return isOperatorWord(first) || (first?.startsWith("--") === true && argv.some(isOperatorWord));
}
