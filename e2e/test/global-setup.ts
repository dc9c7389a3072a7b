import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Builds the recipient portal once, before any test starts a server: otherwise the first servers to start would
 * build it while their tests run (and a test that kills its server mid-build would leave the others waiting on
 * the build lock). In a child process under tsx, as `latchflow start` builds it: the build also writes the
 * SvelteKit files (`.svelte-kit/`) that the portal's own modules need before vite can load them in a test.
 */
export default function setup(): void {
  const script = fileURLToPath(new URL("../../portal/scripts/build.ts", import.meta.url));
  const run = spawnSync(process.execPath, ["--import", "tsx", script], { stdio: "inherit" });
  if (run.status !== 0) throw new Error(`building the portal for the tests failed (exit ${run.status})`);
}
