import { spawn } from "node:child_process";
import { open } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createEvent, createInProcessBus, type EventEnvelope } from "@latchflow/bus";
import { dropSchemas, uniqueName, waitFor } from "@latchflow/testing";
import { afterAll, describe, expect, inject, it, vi } from "vitest";
import {
  createOutboxRelay,
  databaseTarget,
  insertEvents,
  OutboxMessage,
  openDatabase,
  outboxMigration,
  runInTransaction,
} from "../src/db/index.js";
import { createLogger } from "../src/index.js";
import { createTestConfig, TEST_DIALECTS } from "../src/testing.js";
import { Note, notesSchema } from "./fixtures/commit-loop.js";

const logger = createLogger({ level: "silent" });
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const child = fileURLToPath(new URL("./fixtures/commit-loop.ts", import.meta.url));

describe.each(TEST_DIALECTS)("commits on %s", (dialect) => {
  const name = uniqueName("rt_gc");
  const tc = createTestConfig({ dialect, name, pgUrl: inject("pgUrl") });
  const target = databaseTarget(tc.config, "notes");

  afterAll(async () => {
    if (dialect === "postgres") await dropSchemas(inject("pgUrl"), `${name}_`);
    tc.cleanup();
  });

  it("every commit that resolved survives kill -9 of the process", async () => {
    const proc = spawn(process.execPath, ["--import", tsx, child], {
      env: { ...process.env, COMMIT_LOOP_TARGET: JSON.stringify(target) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const acked: string[] = [];
    let buffered = "";
    proc.stdout.on("data", (chunk: Buffer) => {
      const lines = (buffered + chunk.toString("utf8")).split("\n");
      buffered = lines.pop() ?? "";
      acked.push(...lines);
    });
    const exited = new Promise((r) => proc.once("exit", r));
    try {
      await waitFor(() => acked.length >= 200, { timeoutMs: 60_000, description: "200 commits" });
    } finally {
      proc.kill("SIGKILL");
      await exited;
    }
    const db = await openDatabase(target, notesSchema, logger);
    try {
      const stored = new Set((await db.em().find(Note, {}, { fields: ["id"] })).map((n) => n.id));
      expect(acked.filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      await db.close();
    }
  }, 90_000);
});

describe("group commit on SQLite", () => {
  const name = uniqueName("rt_gc_sync");
  const tc = createTestConfig({ dialect: "sqlite", name });
  const target = databaseTarget(tc.config, "notes");

  afterAll(() => tc.cleanup());

  it("WAL with synchronous = NORMAL; concurrent commits share syncs, and each waits for one", async () => {
    const db = await openDatabase(target, notesSchema, logger);
    const probe = await open(fileURLToPath(new URL("./fixtures/commit-loop.ts", import.meta.url)), "r");
    const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    const datasync = vi.spyOn(proto, "datasync");
    try {
      const knex = db.orm.em.getKnex();
      expect(await knex.raw("PRAGMA journal_mode")).toEqual([{ journal_mode: "wal" }]);
      expect(await knex.raw("PRAGMA synchronous")).toEqual([{ synchronous: 1 }]);
      datasync.mockClear();
      // one commit alone: it resolves only after a sync
      await db.em().transactional(async (tx) => {
        tx.create(Note, { id: "alone", text: "alone" });
      });
      expect(datasync).toHaveBeenCalledTimes(1);
      // a write outside a transaction too
      await db.em().nativeUpdate(Note, { id: "alone" }, { text: "changed" });
      expect(datasync).toHaveBeenCalledTimes(2);
      // and the hot paths' transaction (bound writes, no unit of work)
      await db.transaction((tx) => tx.nativeUpdate(Note, { id: "alone" }, { text: "again" }));
      expect(datasync).toHaveBeenCalledTimes(3);
      // and the statement transaction, which runs without knex's
      await db.statementTransaction((tx) =>
        runInTransaction(tx, "UPDATE notes SET text = ? WHERE id = ?", ["once more", "alone"]),
      );
      expect(datasync).toHaveBeenCalledTimes(4);
      // reads do not sync
      await db.em().find(Note, {});
      expect(datasync).toHaveBeenCalledTimes(4);
      datasync.mockClear();
      const n = 40;
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          db.em().transactional(async (tx) => {
            tx.create(Note, { id: `many-${i}`, text: `many ${i}` });
          }),
        ),
      );
      expect(datasync.mock.calls.length).toBeGreaterThan(0);
      expect(datasync.mock.calls.length).toBeLessThan(n / 2);
      expect(await db.em().count(Note, {})).toBe(n + 1);
    } finally {
      datasync.mockRestore();
      await db.close();
    }
  });

  it("the relay's marks of published rows do not wait for the disk; the commit of the event did", async () => {
    const outboxTarget = databaseTarget(tc.config, "outbox_notes");
    const schema = {
      entities: [...notesSchema.entities, OutboxMessage],
      migrations: [outboxMigration, ...notesSchema.migrations],
    };
    const db = await openDatabase(outboxTarget, schema, logger);
    const bus = createInProcessBus({});
    const received: EventEnvelope[] = [];
    await bus.subscribe({ consumer: "gc-relay", filter: "lf.*.bundles.>" }, async (event) => {
      received.push(event);
    });
    const relay = createOutboxRelay({ db, bus, logger, pollMs: 60_000 });
    const probe = await open(fileURLToPath(new URL("./fixtures/commit-loop.ts", import.meta.url)), "r");
    const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    const datasync = vi.spyOn(proto, "datasync");
    try {
      const event = createEvent({
        type: "bundles.bundle.created",
        tenant: "default",
        actor: { kind: "system", id: "test" },
        subjectIds: { bundleId: "b1" },
        data: { bundleId: "b1", name: "b1" },
      });
      await db.em().transactional(async (tx) => {
        tx.create(Note, { id: "with-event", text: "with event" });
        await insertEvents(tx, [event]);
      });
      // the state change and its event: on disk before the commit resolved
      expect(datasync).toHaveBeenCalledTimes(1);
      datasync.mockClear();
      relay.start();
      await waitFor(async () => (await relay.backlog()) === 0, { description: "outbox drained" });
      await waitFor(() => received.length === 1, { description: "event delivered" });
      expect(received[0]?.id).toBe(event.id);
      // the in-process bus here is in memory: any sync would be the service database's, for the mark
      expect(datasync).not.toHaveBeenCalled();
      // a write of the service outside a transaction still waits for the disk
      await db.em().nativeUpdate(Note, { id: "with-event" }, { text: "changed" });
      expect(datasync).toHaveBeenCalledTimes(1);
    } finally {
      datasync.mockRestore();
      await relay.stop();
      await bus.close();
      await db.close();
    }
  });
});
