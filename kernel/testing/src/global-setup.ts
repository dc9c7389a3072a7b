import type { TestProject } from "vitest/node";
import { ensureNats, ensurePostgres, type Started } from "./infra.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of a PostgreSQL server (superuser, database `postgres`); see createTestDatabase. */
    pgUrl: string;
    /** URL of a NATS server with JetStream. */
    natsUrl: string;
  }
}

const started: Started[] = [];

/**
 * Makes sure PostgreSQL and NATS (JetStream) answer before any test runs: uses the ones at
 * LATCHFLOW_TEST_PG_URL / LATCHFLOW_TEST_NATS_URL (default 127.0.0.1:5432 / :4222) when they answer,
 * otherwise starts private ones from the installed binaries, and otherwise fails naming the Debian
 * packages to install. Never skips.
 */
export async function setup(project: TestProject): Promise<void> {
  // every gateway a test starts checks its responses against the contract (createTestConfig sets it too; this
  // reaches the servers tests start from process.env, in-process or as subprocesses)
  process.env.LATCHFLOW_CONTRACT_CHECK ??= "true";
  const results = await Promise.allSettled([ensurePostgres(), ensureNats()]);
  for (const r of results) if (r.status === "fulfilled" && r.value.stop) started.push(r.value);
  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
  if (failures.length) {
    await teardown();
    throw new Error(
      `Test infrastructure is not available:\n${failures.map((e) => `- ${e instanceof Error ? e.message : String(e)}`).join("\n")}`,
    );
  }
  const [pg, nats] = results.map((r) => (r as PromiseFulfilledResult<Started>).value) as [Started, Started];
  for (const [name, s] of [
    ["PostgreSQL", pg],
    ["NATS", nats],
  ] as const) {
    if (s.stop)
      console.info(`[latchflow/testing] started a private ${name} at ${s.url} (pid ${s.pid}, ${s.dir})`);
  }
  project.provide("pgUrl", pg.url);
  project.provide("natsUrl", nats.url);
}

export async function teardown(): Promise<void> {
  while (started.length) await started.pop()?.stop?.();
}
