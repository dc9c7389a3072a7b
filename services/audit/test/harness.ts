import { spawn } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  type Actor,
  createEvent,
  createInProcessBus,
  type EventBus,
  type EventEnvelope,
} from "@latchflow/bus";
import { auditV1 } from "@latchflow/proto";
import {
  createClient,
  createGrpcServer,
  createLogger,
  type GrpcClient,
  type LatchflowService,
  type RequestContext,
} from "@latchflow/runtime";
import { type Database, sqlTable } from "@latchflow/runtime/db";
import { createTestConfig, type TestConfig, type TestDialect } from "@latchflow/runtime/testing";
import { dropSchemas, uniqueName, waitFor } from "@latchflow/testing";
import { type AuditLog, createAuditLog, openAuditDatabase } from "../src/audit-log.js";
import { createAuditService } from "../src/audit-service.js";
import { loadSigner } from "../src/signing.js";

export const logger = createLogger({ level: "silent" });
export const ctx = (tenant = "default"): RequestContext => ({ requestId: "test", tenant });

export type AuditClient = GrpcClient<typeof auditV1.AuditServiceService, auditV1.AuditServiceClient>;

/** One test file's audit database (temp data dir or a unique schema), with direct access for tampering. */
export interface Backend {
  tc: TestConfig;
  /** a log over its own connection (like another replica) */
  openLog(): Promise<AuditLog>;
  /** runs raw SQL on the audit database; `{t}` is replaced by the qualified table name */
  sql(table: string, statement: string, params?: unknown[]): Promise<unknown>;
  cleanup(): Promise<void>;
}

export async function createBackend(
  dialect: TestDialect,
  pgUrl: string,
  env: Record<string, string> = {},
): Promise<Backend> {
  const name = uniqueName("audit");
  const tc = createTestConfig({
    dialect,
    name,
    pgUrl,
    env: { LATCHFLOW_AUDIT_CHECKPOINT_EVERY: "5", ...env },
  });
  const opened: Database[] = [];
  const openLog = async () => {
    const db = await openAuditDatabase(tc.config, logger);
    opened.push(db);
    return createAuditLog({
      db,
      signer: loadSigner(tc.config, logger),
      checkpointEvery: tc.config.audit.checkpointEvery,
    });
  };
  let admin: Database | undefined;
  return {
    tc,
    openLog,
    async sql(table, statement, params = []) {
      admin ??= (await openLog()).db;
      return admin
        .em()
        .getConnection()
        .execute(statement.replaceAll("{t}", sqlTable(admin, table)), params);
    },
    async cleanup() {
      for (const db of opened) await db.close();
      if (dialect === "postgres") await dropSchemas(pgUrl, `${name}_`);
      tc.cleanup();
    },
  };
}

export interface RunningAudit {
  client: AuditClient;
  bus: EventBus;
  stop(): Promise<void>;
}

/** The audit service with its gRPC server, consuming an in-process bus. */
export async function startAudit(
  tc: TestConfig,
  bus: EventBus = createInProcessBus({}),
): Promise<RunningAudit> {
  const service: LatchflowService = createAuditService({ config: tc.config, bus, logger });
  const server = createGrpcServer({ logger });
  await service.start(server);
  const port = await server.listen("127.0.0.1", 0);
  const client: AuditClient = createClient(auditV1.AuditServiceClient, `127.0.0.1:${port}`, {
    deadlineMs: 30_000,
    logger,
  });
  return {
    client,
    bus,
    stop: async () => {
      client.$close();
      await server.shutdown(1000);
      await service.stop();
      await bus.close();
    },
  };
}

let counter = 0;

/** A test event; subject ids and actor as given. */
export function event(
  options: {
    type?: Parameters<typeof createEvent>[0]["type"];
    tenant?: string;
    actor?: Actor;
    subjectIds?: Record<string, string>;
    occurredAt?: Date;
    data?: Record<string, unknown>;
  } = {},
): EventEnvelope {
  counter++;
  return createEvent({
    type: options.type ?? "bundles.bundle.updated",
    tenant: options.tenant ?? "default",
    actor: options.actor ?? { kind: "user", id: "u1" },
    subjectIds: options.subjectIds ?? { bundleId: `b${counter}` },
    ...(options.occurredAt ? { occurredAt: options.occurredAt } : {}),
    requestId: `req-${counter}`,
    data: (options.data ?? { bundleId: `b${counter}`, changes: ["name"] }) as never,
  });
}

/** Publishes events and waits until the service recorded every one of them. */
export async function publishAll(audit: RunningAudit, events: EventEnvelope[], tenant = "default") {
  for (const e of events) await audit.bus.publish(e);
  const ids = new Set(events.map((e) => e.id));
  await waitFor(
    async () => {
      let seen = 0;
      let cursor = "";
      do {
        const page = await audit.client.listEvents({ page: { cursor, limit: 200 } }, ctx(tenant));
        seen += page.records.filter((r) => ids.has(r.id)).length;
        cursor = page.page?.nextCursor ?? "";
      } while (cursor);
      return seen === ids.size;
    },
    { timeoutMs: 15_000, description: `${ids.size} events recorded` },
  );
}

/**
 * Another audit replica in a child process (its own connection and event loop, as in production) that
 * appends `events` one by one once `go()` is called; `done` settles when it exits.
 */
export async function startReplica(
  backend: Backend,
  events: EventEnvelope[],
): Promise<{ go(): Promise<void>; done: Promise<void> }> {
  const file = join(backend.tc.config.dataDir, `replica-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(events));
  const child = spawn(
    process.execPath,
    ["--import", "tsx", new URL("./replica.ts", import.meta.url).pathname, file],
    {
      env: { ...process.env, ...backend.tc.env },
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, "exit") as Promise<[number | null]>;
  const line = (want: string) =>
    new Promise<void>((resolve, reject) => {
      lines.on("line", (l) => l === want && resolve());
      exited.then(([code]) => reject(new Error(`replica exited (${code}) before "${want}"`)));
    });
  const started = line("started");
  started.catch(() => {});
  await line("ready");
  const done = exited.then(([code]) => {
    if (code !== 0) throw new Error(`replica exited with ${code}`);
  });
  done.catch(() => {}); // awaited by the test; not unhandled when the test fails first
  return {
    /** lets it append; resolves once its first append committed */
    go: () => {
      child.stdin!.write("go\n");
      return started;
    },
    done,
  };
}
