import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Builds the recipient portal and the admin app once, before any test starts a server: otherwise the first servers
 * to start would build them while their tests run (and a test that kills its server mid-build would leave the
 * others waiting on the build lock). In a child process under tsx, as `latchflow start` builds them: the build also
 * writes the SvelteKit files (`.svelte-kit/`) that the apps' own modules need before vite can load them in a test.
 */
export default function setup(): void {
  for (const app of ["portal", "admin"]) {
    const script = fileURLToPath(new URL(`../../${app}/scripts/build.ts`, import.meta.url));
    const run = spawnSync(process.execPath, ["--import", "tsx", script], { stdio: "inherit" });
    if (run.status !== 0) throw new Error(`building the ${app} for the tests failed (exit ${run.status})`);
  }
}
