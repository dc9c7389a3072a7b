import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { type Config, loadConfig } from "./config.js";
import { initTracing } from "./tracing.js";

export { type SeenStatement, watchStatements } from "./db/watch-statements.js";

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
    // every response a handler sends is checked against the contract: a mismatch fails the test as a 500
    // (`LATCHFLOW_CONTRACT_CHECK=false pnpm vitest run …` turns it off to see what a test does without it)
    LATCHFLOW_CONTRACT_CHECK: process.env.LATCHFLOW_CONTRACT_CHECK ?? "true",
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

/** A finished span as tests look at it. */
export interface CapturedSpan {
  name: string;
  /** OpenTelemetry SpanKind: 0 internal, 1 server, 2 client, 3 producer, 4 consumer */
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
  /** SpanStatusCode: 0 unset, 1 ok, 2 error */
  status: number;
}

export interface SpanCapture {
  /** every span finished so far, oldest first */
  spans(): CapturedSpan[];
  reset(): void;
  /** stops tracing (another capture or `initTracing` may start later) */
  stop(): Promise<void>;
}

/** Records every span of this process in memory (tracing on, synchronously exported). */
export function captureSpans(): SpanCapture {
  const exporter = new InMemorySpanExporter();
  const tracing = initTracing({ exporter: "none", serviceName: "latchflow-test", spanExporter: exporter });
  return {
    spans: () =>
      exporter.getFinishedSpans().map((s) => ({
        name: s.name,
        kind: s.kind,
        traceId: s.spanContext().traceId,
        spanId: s.spanContext().spanId,
        parentSpanId: s.parentSpanContext?.spanId,
        attributes: { ...s.attributes },
        status: s.status.code,
      })),
    reset: () => exporter.reset(),
    stop: () => tracing.shutdown(),
  };
}
