// Every operator command, loaded at once: for tests that check each command's documented --json shape, and
// for generated docs. The CLI itself never loads this (it loads one group through the registry).
import type { AnyCommand } from "./command.js";
import { GROUPS } from "./registry.js";

/** Every operator command, keyed by its path ("bundles list"). */
export async function allCommands(): Promise<Map<string, AnyCommand>> {
  const out = new Map<string, AnyCommand>();
  for (const entry of Object.values(GROUPS)) {
    for (const c of (await entry.load()).commands) out.set(c.path.join(" "), c);
  }
  return out;
}

export { ExitCode } from "./exit-codes.js";
