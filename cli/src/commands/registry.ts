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

/** Whether a command line is an operator command: `bundles list`, or global flags first (`--json bundles …`). */
export function isOperatorArgv(argv: readonly string[]): boolean {
  const first = argv[0];
  return isOperatorWord(first) || (first?.startsWith("--") === true && argv.some(isOperatorWord));
}
