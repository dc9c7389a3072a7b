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
  bundles: {
    summary: "Bundles: create, list, show, add/rm files, share, export",
    load: () => import("./bundles.js"),
  },
  pipelines: {
    summary:
      "Pipelines as code: validate, plan, apply; get, list, delete, enable/disable; run, runs, logs, check-in",
    load: () => import("./pipelines.js"),
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
