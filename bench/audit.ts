// The audit log at scale on PostgreSQL: LATCHFLOW_BENCH_AUDIT_EVENTS (default 1,000,000) events appended in
// bulk through the same hashing and chaining code as the service (one transaction per 5,000), then
//   filtered queries (first page of 50, newest first): p50/p95 against a baseline in the same run — reading one
//   record by its primary key;
//   append throughput through the recorder (one event per call and 100 per call) and through the bus consumer
//   (NATS and in-process; batched deliveries, and one event per delivery as before ADR 039) against plain
//   single-row INSERTs into a copy of the table with the same indexes (no lock, no hash).
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createEvent, createInProcessBus, type EventEnvelope } from "@latchflow/bus";
import { createNatsBus } from "@latchflow/bus/nats";
import { createLogger } from "@latchflow/runtime";
import { sqlTable } from "@latchflow/runtime/db";
import { createTestConfig } from "@latchflow/runtime/testing";
import { deleteNatsStream, dropSchemas, uniqueName } from "@latchflow/testing";
// bench/ is not a workspace package: it reaches the audit package through its public entry point
import {
  type AuditFilter,
  type AuditLog,
  createAuditLog,
  createSigner,
  openAuditDatabase,
} from "../services/audit/src/index.js";
import { type ConsumerRate, consumerRates } from "./audit-consumer.js";
import { percentile } from "./stats.js";

const EVENTS = Number(process.env.LATCHFLOW_BENCH_AUDIT_EVENTS ?? 1_000_000);
const BULK = 5_000;
/** events recorded through each bus consumer (a fifth of it for the one-event-per-delivery comparison) */
const CONSUMER_EVENTS = Number(process.env.LATCHFLOW_BENCH_AUDIT_CONSUMER_EVENTS ?? 20_000);
const SAMPLES = 60;
const TENANT = "default";
const DAY = 86_400_000;

const TYPES = [
  ["bundles.download.granted", 20],
  ["bundles.download.started", 20],
  ["bundles.bundle.updated", 10],
  ["bundles.assignment.created", 8],
  ["files.file.created", 8],
  ["auth.signin.succeeded", 8],
  ["pipelines.step.succeeded", 8],
  ["pipelines.run.started", 5],
  ["pipelines.trigger.fired", 5],
  ["auth.token.created", 4],
  ["bundles.download.denied", 3],
  ["auth.recipient.created", 1],
] as const;
const WEIGHTS = TYPES.reduce((n, [, w]) => n + w, 0);

const id = (prefix: string, n: number) => `${prefix}${n.toString(36).padStart(8, "0")}`;
const pick = (n: number) => Math.floor(Math.random() * n);

function weightedType(r: number): string {
  let left = r;
  for (const [type, w] of TYPES) {
    left -= w;
    if (left < 0) return type;
  }
  return TYPES[0][0];
}

/** A plausible event: subjects drawn from 5,000 bundles, 20,000 recipients, 300 pipelines, 50 users. */
function syntheticEvent(i: number, occurredAt: Date): EventEnvelope {
  const type = weightedType(pick(WEIGHTS));
  const bundleId = id("B", pick(5000));
  const recipientId = id("R", pick(20_000));
  const pipelineId = id("P", pick(300));
  const subjects: Record<string, string> = type.startsWith("bundles.")
    ? {
        bundleId,
        recipientId,
        ...(type === "bundles.assignment.created" ? { assignmentId: id("A", i) } : {}),
      }
    : type.startsWith("pipelines.")
      ? { pipelineId, triggerId: `t${pick(3)}`, runId: id("N", i) }
      : type.startsWith("files.")
        ? { fileId: id("F", i) }
        : type === "auth.recipient.created"
          ? { recipientId }
          : { userId: id("U", pick(50)) };
  const actor =
    type === "bundles.download.granted" || type === "bundles.download.started"
      ? ({ kind: "recipient", id: recipientId } as const)
      : type.startsWith("pipelines.")
        ? ({ kind: "pipeline_run", id: subjects.runId! } as const)
        : ({ kind: "user", id: id("U", pick(50)) } as const);
  return createEvent({
    type: type as never,
    tenant: TENANT,
    actor,
    subjectIds: subjects,
    requestId: randomBytes(8).toString("hex"),
    occurredAt,
    data: { ...subjects, note: "bench", n: i } as never,
  });
}

interface Row {
  name: string;
  n: number;
  p50: number;
  p95: number;
}

async function sample(name: string, fn: () => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < 5; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return { name, n: SAMPLES, p50: percentile(ms, 50), p95: percentile(ms, 95) };
}

function printRows(title: string, rows: Row[], baseline: Row): void {
  console.log(`\n## ${title}`);
  console.log(
    `baseline: ${baseline.name} (p50 ${baseline.p50.toFixed(3)} ms, p95 ${baseline.p95.toFixed(3)} ms)`,
  );
  console.log(
    "| query (first page of 50 unless noted) | n | p50 ms | p95 ms | p50 × baseline | p95 × baseline |",
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.n} | ${r.p50.toFixed(3)} | ${r.p95.toFixed(3)} | ${(r.p50 / baseline.p50).toFixed(2)} | ${(r.p95 / baseline.p95).toFixed(2)} |`,
    );
  }
}

async function bulkLoad(log: AuditLog, start: Date): Promise<number> {
  const spacing = (365 * DAY) / EVENTS;
  const t = performance.now();
  for (let done = 0; done < EVENTS; done += BULK) {
    const batch: EventEnvelope[] = [];
    for (let i = done; i < Math.min(EVENTS, done + BULK); i++)
      batch.push(syntheticEvent(i, new Date(start.getTime() + i * spacing)));
    await log.append(batch);
  }
  return performance.now() - t;
}

async function queries(log: AuditLog, start: Date): Promise<{ rows: Row[]; baseline: Row }> {
  const em = () => log.db.em();
  const some = await log.list(TENANT, {}, { limit: 200 });
  const ids = some.items.map((r) => r.id);
  const baseline = await sample("one record by primary key", () =>
    em()
      .getConnection()
      .execute(`SELECT * FROM ${sqlTable(log.db, "audit_log")} WHERE id = ?`, [ids[pick(ids.length)]]),
  );
  const page = (filter: AuditFilter, cursor?: string) =>
    log.list(TENANT, filter, cursor ? { cursor, limit: 50 } : { limit: 50 });
  const deep = Buffer.from(JSON.stringify({ k: String(Math.floor(EVENTS / 2)) })).toString("base64url");
  const day = (d: number) => new Date(start.getTime() + d * DAY);
  const rows = [
    await sample("no filter (newest)", () => page({})),
    await sample("no filter, cursor in the middle of the log", () => page({}, deep)),
    await sample("type prefix `bundles.download.`", () => page({ typePrefix: "bundles.download." })),
    await sample("type `auth.recipient.created` (1 % of events)", () =>
      page({ typePrefix: "auth.recipient.created" }),
    ),
    await sample("bundle (random of 5,000)", () => page({ bundleId: id("B", pick(5000)) })),
    await sample("recipient (random of 20,000)", () => page({ recipientId: id("R", pick(20_000)) })),
    await sample("pipeline + trigger (random)", () =>
      page({ pipelineId: id("P", pick(300)), triggerId: "t1" }),
    ),
    await sample("actor user:<random of 50>", () => page({ actorKind: "user", actorId: id("U", pick(50)) })),
    await sample("bundle + type prefix `bundles.download.`", () =>
      page({ bundleId: id("B", pick(5000)), typePrefix: "bundles.download." }),
    ),
    await sample("time range: one day, six months back", () => {
      const d = 90 + pick(90);
      return page({ from: day(d), to: day(d + 1) });
    }),
    await sample("time range: three months, a year back", () => page({ from: day(pick(10)), to: day(90) })),
    await sample("time range: from 30 days back (no end)", () => page({ from: day(335 + pick(5)) })),
    await sample("time range one day + recipient", () => {
      const d = 90 + pick(90);
      return page({ from: day(d), to: day(d + 1), recipientId: id("R", pick(20_000)) });
    }),
  ];
  return { rows, baseline };
}

async function appendThroughput(log: AuditLog, consumers: () => Promise<ConsumerRate[]>): Promise<void> {
  const N = 2000;
  const now = new Date();
  const t = sqlTable(log.db, "audit_log");
  const plain = sqlTable(log.db, "bench_plain_log");
  await log.db.em().getConnection().execute(`CREATE TABLE ${plain} (LIKE ${t} INCLUDING ALL)`);
  const events = Array.from({ length: N }, (_, i) => syntheticEvent(EVENTS + i, now));
  const conn = log.db.em().getConnection();
  let start = performance.now();
  for (const [i, e] of events.entries()) {
    await conn.execute(
      `INSERT INTO ${plain} (id, tenant, seq, type, occurred_at, recorded_at, actor_kind, actor_id, subject_ids, bundle_id, recipient_id, request_id, data, prev_hash, hash)
       VALUES (?, 'plain', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        e.id,
        i + 1,
        e.type,
        now,
        now,
        e.actor.kind,
        e.actor.id,
        JSON.stringify(e.subjectIds),
        e.subjectIds.bundleId ?? null,
        e.subjectIds.recipientId ?? null,
        e.requestId ?? "",
        JSON.stringify(e.data),
        "0".repeat(64),
        "0".repeat(64),
      ],
    );
  }
  const plainRate = N / ((performance.now() - start) / 1000);
  const more = Array.from({ length: N }, (_, i) => syntheticEvent(EVENTS + N + i, now));
  start = performance.now();
  for (const e of more) await log.append([e]);
  const singleRate = N / ((performance.now() - start) / 1000);
  const batched = Array.from({ length: N * 5 }, (_, i) => syntheticEvent(EVENTS + 2 * N + i, now));
  start = performance.now();
  for (let i = 0; i < batched.length; i += 100) await log.append(batched.slice(i, i + 100));
  const batchRate = batched.length / ((performance.now() - start) / 1000);
  const viaBus = await consumers();
  console.log(`\n## Audit append throughput (table already holding ${EVENTS.toLocaleString("en")} records)`);
  console.log("| measurement | records/s | × baseline |\n|---|---:|---:|");
  console.log(
    `| baseline: plain single-row INSERT, same indexes, autocommit | ${plainRate.toFixed(0)} | 1.00 |`,
  );
  console.log(
    `| recorder, 1 event per append | ${singleRate.toFixed(0)} | ${(singleRate / plainRate).toFixed(2)} |`,
  );
  console.log(
    `| recorder, 100 events per append | ${batchRate.toFixed(0)} | ${(batchRate / plainRate).toFixed(2)} |`,
  );
  for (const r of viaBus)
    console.log(`| ${r.name} | ${r.rate.toFixed(0)} | ${(r.rate / plainRate).toFixed(2)} |`);
}

export async function benchAudit(pgUrl: string, natsUrl: string): Promise<void> {
  const name = uniqueName("bench_audit");
  const tc = createTestConfig({ dialect: "postgres", name, pgUrl });
  const logger = createLogger({ level: "silent" });
  const db = await openAuditDatabase(tc.config, logger);
  const log = createAuditLog({
    db,
    signer: createSigner(generateKeyPairSync("ed25519").privateKey, "env"),
    checkpointEvery: tc.config.audit.checkpointEvery,
  });
  try {
    const start = new Date(Date.now() - 365 * DAY);
    const loadMs = await bulkLoad(log, start);
    // as autovacuum leaves a long-lived table: fresh statistics and the visibility map (index-only scans)
    await db
      .em()
      .getConnection()
      .execute(`VACUUM (ANALYZE) ${sqlTable(db, "audit_log")}`);
    console.log(`\n## Audit log on PostgreSQL: ${EVENTS.toLocaleString("en")} events`);
    console.log(
      `bulk append (hash chain, ${BULK.toLocaleString("en")} per transaction): ${(loadMs / 1000).toFixed(1)} s, ${(EVENTS / (loadMs / 1000)).toFixed(0)} records/s`,
    );
    const { rows, baseline } = await queries(log, start);
    printRows(`Audit queries at ${EVENTS.toLocaleString("en")} events`, rows, baseline);
    const streams: string[] = [];
    const nats = async () => {
      const key = uniqueName("bench_audit_bus");
      streams.push(key.toUpperCase());
      return createNatsBus({ servers: natsUrl, stream: key.toUpperCase(), namespace: key });
    };
    const fresh = (n: number) =>
      Array.from({ length: n }, (_, i) => syntheticEvent(EVENTS * 2 + i, new Date()));
    try {
      await appendThroughput(log, async () => [
        ...(await consumerRates(log, { label: "NATS", open: nats }, fresh, CONSUMER_EVENTS)),
        ...(await consumerRates(
          log,
          { label: "in-process", open: async () => createInProcessBus({}) },
          fresh,
          CONSUMER_EVENTS,
        )),
      ]);
    } finally {
      for (const stream of streams) await deleteNatsStream(natsUrl, stream);
    }
    let t = performance.now();
    const verified = await log.verify(TENANT);
    t = performance.now() - t;
    if (!verified.ok)
      throw new Error(`the benchmark chain does not verify: ${verified.firstBroken?.message}`);
    console.log(
      `\nverify: ${verified.checked.toLocaleString("en")} records and ${verified.checkpointsVerified} checkpoints in ${(t / 1000).toFixed(1)} s (${(verified.checked / (t / 1000)).toFixed(0)} records/s)`,
    );
  } finally {
    await db.close();
    await dropSchemas(pgUrl, `${name}_`);
    tc.cleanup();
  }
}
