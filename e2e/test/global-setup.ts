import { ensurePortalBuilt } from "@latchflow/portal";

/**
 * Builds the recipient portal once, before any test starts a server: otherwise the first servers to start
 * would build it while their tests run (and a test that kills its server mid-build would leave the others
 * waiting on the build lock).
 */
export default async function setup(): Promise<void> {
  const build = await ensurePortalBuilt();
  if (build.built) process.stdout.write(`portal built for the tests in ${Math.round(build.ms)} ms\n`);
}
