import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Config, loadConfig } from "./config.js";

export type TestDialect = "sqlite" | "postgres";
export type TestBus = "in-process" | "nats";
export const TEST_DIALECTS: readonly TestDialect[] = ["sqlite", "postgres"];
export const TEST_BUSES: readonly TestBus[] = ["in-process", "nats"];

export interface TestConfigOptions {
  dialect: TestDialect;
  bus?: TestBus;
  /** postgres server URL (vitest `inject("pgUrl")`) */
  pgUrl?: string;
  /** nats URL (vitest `inject("natsUrl")`) */
  natsUrl?: string;
  /** unique per test file/case: names the schema prefix, stream and subject namespace */
  name: string;
  env?: Record<string, string>;
}

export interface TestConfig {
  config: Config;
  env: Record<string, string>;
  /** removes the temp data dir (Postgres schemas and NATS streams are unique names; drop them separately) */
  cleanup(): void;
}

/** A compiled Config for tests: a temp data dir, a unique Postgres schema prefix and NATS stream. */
export function createTestConfig(options: TestConfigOptions): TestConfig {
  const dataDir = mkdtempSync(join(tmpdir(), "lf-test-"));
  const env: Record<string, string> = {
    LATCHFLOW_ENV: "test",
    LATCHFLOW_LOG_LEVEL: "silent",
    LATCHFLOW_DATA_DIR: dataDir,
    LATCHFLOW_PORT: "0",
    ...(options.dialect === "postgres"
      ? {
          LATCHFLOW_DATABASE_URL: required(options.pgUrl, "pgUrl"),
          LATCHFLOW_DB_SCHEMA_PREFIX: `${options.name}_`,
          // test files run in parallel against one server (max_connections 100)
          LATCHFLOW_DB_POOL_MAX: "4",
        }
      : {}),
    ...(options.bus === "nats"
      ? {
          LATCHFLOW_NATS_URL: required(options.natsUrl, "natsUrl"),
          LATCHFLOW_NATS_STREAM: options.name.toUpperCase(),
          LATCHFLOW_NATS_NAMESPACE: options.name,
        }
      : {}),
    ...options.env,
  };
  return { config: loadConfig(env), env, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`createTestConfig needs ${name}`);
  return value;
}
