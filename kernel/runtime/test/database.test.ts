import { createEvent, createInProcessBus, type EventBus, type EventEnvelope } from "@latchflow/bus";
import { dropSchemas, uniqueName, waitFor } from "@latchflow/testing";
import { defineEntity, p, UniqueConstraintViolationException } from "@mikro-orm/core";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import {
  createOutboxRelay,
  type Database,
  databaseTarget,
  defineMigration,
  insertEvents,
  OutboxMessage,
  openDatabase,
  outboxMigration,
  rowsAlone,
  rowsInTransaction,
  runInTransaction,
  sqlTable,
} from "../src/db/index.js";
import { createLogger } from "../src/index.js";
import { createTestConfig, TEST_DIALECTS } from "../src/testing.js";

const Note = defineEntity({
  name: "Note",
  tableName: "notes",
  properties: { id: p.string().primary(), text: p.string(), createdAt: p.datetime().fieldName("created_at") },
});

const schema = {
  entities: [Note, OutboxMessage],
  migrations: [
    outboxMigration,
    defineMigration("0001-notes", (s) =>
      s.createTable("notes", (t) => {
        t.string("id", 26).primary();
        t.string("text", 200).notNullable().unique();
        t.datetime("created_at", { useTz: true, precision: 3 }).notNullable();
      }),
    ),
  ],
};

const logger = createLogger({ level: "silent" });

function noteEvent(id: string) {
  return createEvent({
    type: "bundles.bundle.created",
    tenant: "default",
    actor: { kind: "system", id: "test" },
    subjectIds: { bundleId: id },
    data: { bundleId: id, name: id },
  });
}

describe.each(TEST_DIALECTS)("database and outbox on %s", (dialect) => {
  const name = uniqueName("rt_db");
  const tc = createTestConfig({ dialect, name, pgUrl: inject("pgUrl") });
  const target = databaseTarget(tc.config, "notes");
  let db: Database;
  let bus: EventBus;

  beforeAll(async () => {
    db = await openDatabase(target, schema, logger);
    bus = createInProcessBus({});
  });

  afterAll(async () => {
    await bus?.close();
    await db?.close();
    if (dialect === "postgres") await dropSchemas(inject("pgUrl"), `${name}_`);
    tc.cleanup();
  });

  it("runs migrations once: reopening applies nothing and keeps data", async () => {
    await db.em().insert(Note, { id: "01J00000000000000000000001", text: "kept", createdAt: new Date() });
    const again = await openDatabase(target, schema, logger);
    try {
      expect(await again.em().count(Note, {})).toBe(1);
      const applied = await again.orm.getMigrator().getExecutedMigrations();
      expect(applied.map((m) => m.name)).toEqual(["0000-runtime-outbox", "0001-notes"]);
    } finally {
      await again.close();
    }
  });

  it("statements use bound parameters: values are not inlined into SQL text, so a failed statement's error names none", async () => {
    const at = new Date("2030-01-02T03:04:05.678Z");
    await db
      .em()
      .insert(Note, { id: "01J00000000000000000000009", text: "it's a 'quoted' ? value", createdAt: at });
    const row = await db.em().findOneOrFail(Note, { text: "it's a 'quoted' ? value", createdAt: at });
    expect(row.createdAt.toISOString()).toBe(at.toISOString());
    const err = await db
      .em()
      .insert(Note, { id: "01J0000000000000000000000A", text: "it's a 'quoted' ? value", createdAt: at })
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(UniqueConstraintViolationException);
    // the statement as sent (PostgreSQL's converter appends a " - detail:" line, which the logger drops)
    const statement = String((err as Error).message).split("\n")[0];
    expect(statement).not.toContain("quoted");
    expect(statement).not.toContain("01J0000000000000000000000A");
  });

  it("commits the change and its event together, or neither", async () => {
    const ok = noteEvent("ok");
    await db.em().transactional(async (em) => {
      em.create(Note, { id: "01J00000000000000000000002", text: "with event", createdAt: new Date() });
      await insertEvents(em, [ok]);
    });
    const bad = noteEvent("bad");
    await expect(
      db.em().transactional(async (em) => {
        em.create(Note, { id: "01J00000000000000000000003", text: "kept", createdAt: new Date() }); // duplicate text
        await insertEvents(em, [bad]);
      }),
    ).rejects.toThrow();
    const em = db.em();
    expect(await em.findOne(OutboxMessage, { id: ok.id })).not.toBeNull();
    expect(await em.findOne(OutboxMessage, { id: bad.id })).toBeNull();
    expect(await em.count(Note, { id: "01J00000000000000000000003" })).toBe(0);
  });

  it("Database.transaction: bound writes and events commit together, or none when it throws; entities are refused", async () => {
    const table = sqlTable(db, "notes");
    const insert = `INSERT INTO ${table} (id, text, created_at) VALUES (?, ?, ?)`;
    const ok = noteEvent("tx-ok");
    const changed = await db.transaction(async (tx) => {
      const n = await runInTransaction(tx, insert, ["01J0000000000000000000TX01", "tx one", new Date()]);
      await insertEvents(tx, [ok]);
      return n;
    });
    expect(changed).toBe(1);
    const bad = noteEvent("tx-bad");
    await expect(
      db.transaction(async (tx) => {
        await runInTransaction(tx, insert, ["01J0000000000000000000TX02", "tx two", new Date()]);
        await insertEvents(tx, [bad]);
        throw new Error("after the writes");
      }),
    ).rejects.toThrow("after the writes");
    await expect(
      db.transaction(async (tx) => {
        await runInTransaction(tx, insert, ["01J0000000000000000000TX03", "tx three", new Date()]);
        tx.create(Note, { id: "01J0000000000000000000TX04", text: "never flushed", createdAt: new Date() });
      }),
    ).rejects.toThrow("flushes nothing");
    await expect(
      db.transaction(async (tx) => runInTransaction(tx, insert, ["x", "tx one", new Date()])),
    ).rejects.toThrow();
    await expect(runInTransaction(db.em(), insert, ["y", "outside", new Date()])).rejects.toThrow(
      "inside a transaction",
    );
    const em = db.em();
    expect((await em.find(Note, { text: { $like: "tx %" } })).map((n) => n.id)).toEqual([
      "01J0000000000000000000TX01",
    ]);
    expect(await em.count(Note, { id: ["01J0000000000000000000TX03", "01J0000000000000000000TX04"] })).toBe(
      0,
    );
    expect(await em.findOne(OutboxMessage, { id: ok.id })).not.toBeNull();
    expect(await em.findOne(OutboxMessage, { id: bad.id })).toBeNull();
  });

  it("Database.statementTransaction: bound writes and events commit together, or none; on SQLite without knex's transaction, refusing ORM queries", async () => {
    const table = sqlTable(db, "notes");
    const insert = `INSERT INTO ${table} (id, text, created_at) VALUES (?, ?, ?)`;
    const knexTransaction = vi.spyOn(db.orm.em.getKnex(), "transaction");
    const ok = noteEvent("st-ok");
    const bad = noteEvent("st-bad");
    try {
      const changed = await db.statementTransaction(async (tx) => {
        const n = await runInTransaction(tx, insert, ["01J0000000000000000000ST01", "st one", new Date()]);
        await insertEvents(tx, [ok]);
        return n;
      });
      expect(changed).toBe(1);
      await expect(
        db.statementTransaction(async (tx) => {
          await runInTransaction(tx, insert, ["01J0000000000000000000ST02", "st two", new Date()]);
          await insertEvents(tx, [bad]);
          throw new Error("after the writes");
        }),
      ).rejects.toThrow("after the writes");
      const duplicate = await db
        .statementTransaction(async (tx) => {
          await runInTransaction(tx, insert, ["01J0000000000000000000ST03", "st three", new Date()]);
          await runInTransaction(tx, insert, ["01J0000000000000000000ST04", "st one", new Date()]);
        })
        .catch((e: unknown) => e);
      expect(duplicate).toBeInstanceOf(UniqueConstraintViolationException);
      await expect(
        db.statementTransaction(async (tx) => {
          await runInTransaction(tx, insert, ["01J0000000000000000000ST05", "st five", new Date()]);
          tx.create(Note, { id: "01J0000000000000000000ST06", text: "never flushed", createdAt: new Date() });
        }),
      ).rejects.toThrow("flushes nothing");
      // SQLite: knex's transaction is skipped; Postgres: it is Database.transaction
      expect(knexTransaction).toHaveBeenCalledTimes(dialect === "sqlite" ? 0 : 4);
    } finally {
      knexTransaction.mockRestore();
    }
    if (dialect === "sqlite") {
      // a MikroORM query has no knex transaction to run in: it fails, and the statements before it roll back
      await expect(
        db.statementTransaction(async (tx) => {
          await runInTransaction(tx, insert, ["01J0000000000000000000ST07", "st seven", new Date()]);
          await tx.nativeUpdate(Note, { id: "01J0000000000000000000ST01" }, { text: "st changed" });
        }),
      ).rejects.toThrow();
    }
    const em = db.em();
    expect((await em.find(Note, { text: { $like: "st %" } })).map((n) => [n.id, n.text])).toEqual([
      ["01J0000000000000000000ST01", "st one"],
    ]);
    expect(await em.findOne(OutboxMessage, { id: ok.id })).not.toBeNull();
    expect(await em.findOne(OutboxMessage, { id: bad.id })).toBeNull();
    // the connection went back to the pool outside any transaction: the next one begins as usual
    await db.statementTransaction((tx) =>
      runInTransaction(tx, insert, ["01J0000000000000000000ST08", "st eight", new Date()]),
    );
    expect(await db.em().count(Note, { text: { $like: "st %" } })).toBe(2);
  });

  it("rowsInTransaction: rows of the transaction's own connection (its uncommitted writes too); refused outside one", async () => {
    const table = sqlTable(db, "notes");
    const returned = await db.transaction(async (tx) => {
      const inserted = await rowsInTransaction(
        tx,
        `INSERT INTO ${table} (id, text, created_at) VALUES (?, ?, ?) RETURNING id, text`,
        ["01J0000000000000000000RW01", "rows one", new Date()],
      );
      const read = await rowsInTransaction(tx, `SELECT id FROM ${table} WHERE text IN (?, ?) ORDER BY id`, [
        "rows one",
        "rows none",
      ]);
      return { inserted, read };
    });
    expect(returned).toEqual({
      inserted: [{ id: "01J0000000000000000000RW01", text: "rows one" }],
      read: [{ id: "01J0000000000000000000RW01" }],
    });
    await expect(
      db.transaction(async (tx) => {
        await rowsInTransaction(
          tx,
          `INSERT INTO ${table} (id, text, created_at) VALUES (?, ?, ?) RETURNING id`,
          ["01J0000000000000000000RW02", "rows two", new Date()],
        );
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    await expect(
      db.transaction((tx) =>
        rowsInTransaction(tx, `INSERT INTO ${table} (id, text, created_at) VALUES (?, ?, ?) RETURNING id`, [
          "01J0000000000000000000RW03",
          "rows one",
          new Date(),
        ]),
      ),
    ).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    await expect(rowsInTransaction(db.em(), `SELECT id FROM ${table}`, [])).rejects.toThrow(
      "inside a transaction",
    );
    expect((await db.em().find(Note, { text: { $like: "rows %" } })).map((n) => n.id)).toEqual([
      "01J0000000000000000000RW01",
    ]);
  });

  it("rowsAlone: one statement outside a transaction, committed by itself; its rows, none for a plain write", async () => {
    const table = sqlTable(db, "notes");
    const insert = `INSERT INTO ${table} (id, text, created_at) VALUES (?, ?, ?)`;
    expect(await rowsAlone(db, insert, ["01J0000000000000000000AL01", "alone one", new Date()])).toEqual([]);
    expect(
      await rowsAlone(db, `UPDATE ${table} SET text = ? WHERE id = ? RETURNING id, text`, [
        "alone two",
        "01J0000000000000000000AL01",
      ]),
    ).toEqual([{ id: "01J0000000000000000000AL01", text: "alone two" }]);
    await expect(
      rowsAlone(db, insert, ["01J0000000000000000000AL02", "alone two", new Date()]),
    ).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    // committed: another connection (a fresh entity manager) sees it; the pool's connection was given back
    expect((await db.em().find(Note, { text: { $like: "alone %" } })).map((n) => n.id)).toEqual([
      "01J0000000000000000000AL01",
    ]);
    const reads = await Promise.all(
      Array.from({ length: 12 }, () =>
        rowsAlone(db, `SELECT COUNT(*) AS n FROM ${table} WHERE text = ?`, ["alone two"]),
      ),
    );
    expect(reads.map((r) => Number(r[0]?.n))).toEqual(Array(12).fill(1));
  });

  it("writes an event only inside a transaction: outside one it is refused and nothing is stored", async () => {
    const loose = noteEvent("loose");
    await expect(insertEvents(db.em(), [loose])).rejects.toThrow("inside a transaction");
    expect(await db.em().findOne(OutboxMessage, { id: loose.id })).toBeNull();
  });

  it("writes several events of a transaction as unsent rows with their envelopes", async () => {
    const events = [noteEvent("multi-a"), noteEvent("multi-b")];
    await db.em().transactional((tx) => insertEvents(tx, events));
    const rows = await db
      .em()
      .find(OutboxMessage, { id: { $in: events.map((e) => e.id) } }, { orderBy: { id: "asc" } });
    expect(rows.map((r) => [r.type, r.tenant, r.sentAt, r.attempts, JSON.parse(r.envelope).id])).toEqual(
      events.map((e) => [e.type, e.tenant, null, 0, e.id]),
    );
    expect(rows.map((r) => r.createdAt.getTime())).toEqual(
      events.map((e) => new Date(e.occurredAt).getTime()),
    );
    await db.em().nativeDelete(OutboxMessage, { id: { $in: events.map((e) => e.id) } });
  });

  it("relays unsent events to the bus in order and marks them sent", async () => {
    const received: EventEnvelope[] = [];
    const sub = await bus.subscribe({ consumer: "relay-test", filter: "lf.*.bundles.>" }, async (e) => {
      received.push(e);
    });
    const events = [noteEvent("a"), noteEvent("b"), noteEvent("c")];
    await db.em().transactional(async (em) => {
      await insertEvents(em, events);
    });
    const relay = createOutboxRelay({ db, bus, logger, pollMs: 50 });
    relay.start();
    try {
      await waitFor(async () => (await relay.backlog()) === 0, {
        timeoutMs: 10_000,
        description: "outbox drained",
      });
      await waitFor(() => received.length >= 4, { timeoutMs: 10_000, description: "events delivered" });
    } finally {
      await relay.stop();
      await sub.stop();
    }
    const ids = received.map((e) => e.id);
    // the "ok" event of the previous case plus the three new ones, in creation order, none twice
    expect(ids.slice(-3)).toEqual(events.map((e) => e.id));
    expect(new Set(ids).size).toBe(ids.length);
    const sent = await db.em().find(OutboxMessage, { id: { $in: events.map((e) => e.id) } });
    expect(sent.every((r) => r.sentAt instanceof Date && r.attempts === 1)).toBe(true);
    // marked now (the mark is written in the column's own form: epoch ms on SQLite, timestamptz on Postgres)
    expect(sent.every((r) => Math.abs(r.sentAt!.getTime() - Date.now()) < 60_000)).toBe(true);
  });

  it("a nudge after a quiet spell publishes at once; the nudges of a burst wait lingerMs and go out as one batch", async () => {
    // the relay publishes a batch's events in one synchronous loop: a group is what one drain published
    const batches: string[][] = [];
    let open: string[] | undefined;
    const recording: EventBus = {
      ...bus,
      publish(event) {
        if (!open) {
          const batch: string[] = [];
          batches.push(batch);
          open = batch;
          queueMicrotask(() => {
            open = undefined;
          });
        }
        open.push(event.id);
        return bus.publish(event);
      },
    };
    const lingerMs = 1500;
    const relay = createOutboxRelay({ db, bus: recording, logger, pollMs: 60_000, lingerMs });
    const write = async (event: EventEnvelope) => {
      await db.em().transactional((tx) => insertEvents(tx, [event]));
      relay.nudge();
    };
    // published well before the linger could have ended: nothing waited
    const publishedAtOnce = (n: number) =>
      waitFor(() => batches.length === n, { timeoutMs: lingerMs - 300, description: `batch ${n} at once` });
    relay.start();
    try {
      await waitFor(async () => (await relay.backlog()) === 0, { description: "earlier rows drained" });
      batches.length = 0;
      const [a, b, c, d] = ["quiet-a", "burst-b", "burst-c", "quiet-d"].map(noteEvent) as [
        EventEnvelope,
        EventEnvelope,
        EventEnvelope,
        EventEnvelope,
      ];
      await write(a);
      await publishedAtOnce(1);
      await write(b);
      await write(c);
      await waitFor(async () => (await relay.backlog()) === 0, {
        timeoutMs: 10_000,
        description: "burst drained",
      });
      expect(batches).toEqual([[a.id], [b.id, c.id]]);
      await new Promise((resolve) => setTimeout(resolve, lingerMs + 100));
      await write(d);
      await publishedAtOnce(3);
      expect(batches).toEqual([[a.id], [b.id, c.id], [d.id]]);
    } finally {
      await relay.stop();
    }
  });
});
