import { createInProcessBus, type EventBus, type EventEnvelope } from "@latchflow/bus";
import { storageV1 } from "@latchflow/proto";
import { CallerKind, createClient, createLogger, ErrorCode, type RequestContext } from "@latchflow/runtime";
import {
  createOutboxRelay,
  type Database,
  databaseTarget,
  OutboxMessage,
  type OutboxRelay,
  openDatabase,
  sqlTable,
} from "@latchflow/runtime/db";
import {
  createTestConfig,
  type SeenStatement,
  TEST_DIALECTS,
  watchStatements,
} from "@latchflow/runtime/testing";
import { dropSchemas, uniqueName, waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createBundlesApi } from "../src/api/bundles.js";
import type { BundlesContext } from "../src/context.js";
import { BUNDLES_ENTITIES, Bundle } from "../src/entities/index.js";
import { bundlesMigrations } from "../src/migrations.js";

const logger = createLogger({ level: "silent" });
const ctx: RequestContext = {
  requestId: "req-create",
  tenant: "default",
  caller: { kind: CallerKind.User, id: "u1" },
};

describe.each(TEST_DIALECTS)("creating a bundle on %s", (dialect) => {
  const name = uniqueName("bundles_create");
  const tc = createTestConfig({ dialect, name, pgUrl: inject("pgUrl") });
  let db: Database;
  let bus: EventBus;
  let relay: OutboxRelay;
  let api: ReturnType<typeof createBundlesApi>;
  let storage: BundlesContext["storage"] | undefined;
  const delivered: EventEnvelope[] = [];

  /** Every statement sent to the database while `fn` runs, as the driver gets it. */
  let statements: SeenStatement[] | undefined;
  const statementsOf = async (fn: () => Promise<unknown>) => {
    const seen: SeenStatement[] = [];
    statements = seen;
    try {
      await fn();
    } catch {
      // the caller looks at what was written
    } finally {
      statements = undefined;
    }
    return seen;
  };
  const kind = (sql: string) =>
    /^\s*(begin|commit|rollback)\b/i.exec(sql)?.[1]?.toLowerCase() ??
    /^\s*insert into ("?[\w.]+"?\.)?"?(bundles|lf_outbox)"?\s/i.exec(sql)?.[2] ??
    "other";
  /**
   * The transaction that wrote the bundle, as its connection ran it: from the `BEGIN` before the bundle's
   * INSERT to the `COMMIT` or `ROLLBACK` after it (nothing else runs on a connection a transaction holds).
   */
  const bundleTransaction = (seen: SeenStatement[]) => {
    const at = seen.findIndex((s) => kind(s.sql) === "bundles");
    if (at < 0) return [];
    const own = seen.filter((s) => s.connection === seen[at]!.connection);
    const i = own.indexOf(seen[at]!);
    const begin = own.map((s) => kind(s.sql)).lastIndexOf("begin", i);
    const end = own.findIndex((s, j) => j > i && ["commit", "rollback"].includes(kind(s.sql)));
    return own.slice(begin < 0 ? i : begin, end < 0 ? own.length : end + 1).map((s) => kind(s.sql));
  };
  const outboxRows = (bundleId: string) =>
    db.em().find(OutboxMessage, { type: "bundles.bundle.created", envelope: { $like: `%${bundleId}%` } });

  beforeAll(async () => {
    db = await openDatabase(
      databaseTarget(tc.config, "bundles"),
      { entities: [...BUNDLES_ENTITIES, OutboxMessage], migrations: bundlesMigrations },
      logger,
    );
    watchStatements(db, (s) => statements?.push(s));
    bus = createInProcessBus({});
    await bus.subscribe({ consumer: "created-test", filter: "lf.*.bundles.>" }, async (e) => {
      delivered.push(e);
    });
    relay = createOutboxRelay({ db, bus, logger, pollMs: 50 });
    relay.start();
    // createBundle never calls storage: a client to nowhere proves it
    storage = createClient(storageV1.StorageServiceClient, "127.0.0.1:9", { deadlineMs: 1000, logger });
    const context: BundlesContext = { db, relay, storage, logger, now: () => new Date() };
    api = createBundlesApi(context);
  });

  afterAll(async () => {
    storage?.$close();
    await relay?.stop();
    await bus?.close();
    await db?.close();
    if (dialect === "postgres") await dropSchemas(inject("pgUrl"), `${name}_`);
    tc.cleanup();
  });

  it("writes the bundle and its event in one transaction; the event is relayed once", async () => {
    let created: { id: string } | undefined;
    const seen = await statementsOf(async () => {
      created = await api.createBundle({ name: " Quarterly ", description: "q3" }, ctx);
    });
    expect(bundleTransaction(seen)).toEqual(["begin", "bundles", "lf_outbox", "commit"]);
    // one transaction begun by the call (the relay, running meanwhile, begins none)
    expect(seen.filter((s) => kind(s.sql) === "begin")).toHaveLength(1);
    const id = created!.id;
    const row = await db.em().findOneOrFail(Bundle, { id });
    expect([row.tenant, row.name, row.description, row.enabled, row.currentVersionId]).toEqual([
      "default",
      "Quarterly",
      "q3",
      true,
      null,
    ]);
    expect(row.createdAt.getTime()).toBe(row.updatedAt.getTime());
    await waitFor(() => delivered.some((e) => e.subjectIds.bundleId === id), {
      timeoutMs: 10_000,
      description: "bundle.created delivered",
    });
    await waitFor(async () => (await relay.backlog()) === 0, { timeoutMs: 10_000, description: "drained" });
    // a later drain publishes nothing again
    relay.nudge();
    await new Promise((r) => setTimeout(r, 200));
    const mine = delivered.filter((e) => e.subjectIds.bundleId === id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      type: "bundles.bundle.created",
      tenant: "default",
      requestId: "req-create",
      actor: { kind: "user", id: "u1" },
      data: { bundleId: id, name: "Quarterly" },
    });
    const [outbox] = await outboxRows(id);
    expect(outbox?.id).toBe(mine[0]!.id);
    expect(outbox?.sentAt).toBeInstanceOf(Date);
  });

  it("a duplicate name is a conflict and writes neither a bundle nor an event", async () => {
    await api.createBundle({ name: "Twice" }, ctx);
    const before = await db.em().count(OutboxMessage, {});
    const err = await api.createBundle({ name: "Twice" }, ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.Conflict, details: { field: "name" } });
    expect(await db.em().count(Bundle, { name: "Twice" })).toBe(1);
    expect(await db.em().count(OutboxMessage, {})).toBe(before);
  });

  it("an event that cannot be written rolls the bundle back", async () => {
    const outbox = sqlTable(db, "lf_outbox");
    await relay.stop();
    await db.em().getConnection().execute(`ALTER TABLE ${outbox} RENAME TO lf_outbox_away`);
    let seen: SeenStatement[];
    try {
      seen = await statementsOf(() => api.createBundle({ name: "Orphan" }, ctx));
    } finally {
      await db
        .em()
        .getConnection()
        .execute(`ALTER TABLE ${sqlTable(db, "lf_outbox_away")} RENAME TO lf_outbox`);
      relay.start();
    }
    // the event's INSERT failed in the bundle's transaction, which rolled back
    expect(bundleTransaction(seen)).toEqual(["begin", "bundles", "lf_outbox", "rollback"]);
    expect(await db.em().count(Bundle, { name: "Orphan" })).toBe(0);
  });

  it("invalid input writes nothing and begins no transaction", async () => {
    await relay.stop();
    let seen: SeenStatement[];
    try {
      seen = await statementsOf(() => api.createBundle({ name: "  " }, ctx));
    } finally {
      relay.start();
    }
    expect(seen).toEqual([]);
    const err = await api.createBundle({ name: "a\u0007b" }, ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.ValidationFailed, details: { field: "name" } });
  });
});
