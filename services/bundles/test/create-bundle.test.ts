import { createInProcessBus, type EventBus, type EventEnvelope } from "@latchflow/bus";
import { storageV1 } from "@latchflow/proto";
import {
  CallerKind,
  createClient,
  createLogger,
  createOutboxRelay,
  type Database,
  databaseTarget,
  ErrorCode,
  OutboxMessage,
  type OutboxRelay,
  openDatabase,
  type RequestContext,
  sqlTable,
} from "@latchflow/runtime";
import { createTestConfig, TEST_DIALECTS } from "@latchflow/runtime/testing";
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

  /** Transactions begun and committed on the database while `fn` runs. */
  const transactionsOf = async (fn: () => Promise<unknown>) => {
    const seen = { begun: 0, committed: 0, rolledBack: 0 };
    const counting = { active: true };
    db.orm.em.getEventManager().registerSubscriber({
      afterTransactionStart: () => {
        if (counting.active) seen.begun++;
      },
      afterTransactionCommit: () => {
        if (counting.active) seen.committed++;
      },
      afterTransactionRollback: () => {
        if (counting.active) seen.rolledBack++;
      },
    });
    try {
      await fn();
    } catch {
      // the caller looks at what was written
    } finally {
      counting.active = false;
    }
    return seen;
  };
  const outboxRows = (bundleId: string) =>
    db.em().find(OutboxMessage, { type: "bundles.bundle.created", envelope: { $like: `%${bundleId}%` } });

  beforeAll(async () => {
    db = await openDatabase(
      databaseTarget(tc.config, "bundles"),
      { entities: [...BUNDLES_ENTITIES, OutboxMessage], migrations: bundlesMigrations },
      logger,
    );
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
    const seen = await transactionsOf(async () => {
      created = await api.createBundle({ name: " Quarterly ", description: "q3" }, ctx);
    });
    expect(seen).toEqual({ begun: 1, committed: 1, rolledBack: 0 });
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
    let seen: Awaited<ReturnType<typeof transactionsOf>>;
    try {
      seen = await transactionsOf(() => api.createBundle({ name: "Orphan" }, ctx));
    } finally {
      await db
        .em()
        .getConnection()
        .execute(`ALTER TABLE ${sqlTable(db, "lf_outbox_away")} RENAME TO lf_outbox`);
      relay.start();
    }
    expect(seen).toEqual({ begun: 1, committed: 0, rolledBack: 1 });
    expect(await db.em().count(Bundle, { name: "Orphan" })).toBe(0);
  });

  it("invalid input writes nothing and begins no transaction", async () => {
    const seen = await transactionsOf(() => api.createBundle({ name: "  " }, ctx));
    expect(seen).toEqual({ begun: 0, committed: 0, rolledBack: 0 });
    const err = await api.createBundle({ name: "a\u0007b" }, ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.ValidationFailed, details: { field: "name" } });
  });
});
