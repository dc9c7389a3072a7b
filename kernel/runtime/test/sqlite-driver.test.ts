import { uniqueName } from "@latchflow/testing";
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Database, databaseTarget, openDatabase } from "../src/db/index.js";
import { createLogger } from "../src/index.js";
import { createTestConfig } from "../src/testing.js";
import { Note, notesSchema } from "./fixtures/commit-loop.js";

const logger = createLogger({ level: "silent" });

interface RawConnection {
  prepare(sql: string): { all(bindings: unknown[]): Record<string, unknown>[] };
  close(): void;
}

interface KnexClient {
  acquireConnection(): Promise<RawConnection>;
  releaseConnection(connection: RawConnection): Promise<void>;
  acquireRawConnection(): Promise<RawConnection>;
}

/** A pragma's value as this very connection sees it (not through the pool, which may pick another one). */
const pragma = (connection: RawConnection, name: string) => {
  const [row] = connection.prepare(`PRAGMA ${name}`).all([]);
  return Object.values(row ?? {})[0];
};

const pragmasOf = (connection: RawConnection) => ({
  synchronous: pragma(connection, "synchronous"),
  busyTimeout: pragma(connection, "busy_timeout"),
  foreignKeys: pragma(connection, "foreign_keys"),
});

const WANTED = { synchronous: 1, busyTimeout: 1000, foreignKeys: 1 };

describe("a service's SQLite connections", () => {
  const tc = createTestConfig({ dialect: "sqlite", name: uniqueName("rt_sqlite_driver") });
  let db: Database;
  let client: KnexClient;

  beforeAll(async () => {
    db = await openDatabase(databaseTarget(tc.config, "notes"), notesSchema, logger);
    client = db.orm.em.getKnex().client as unknown as KnexClient;
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await db.close();
    tc.cleanup();
  });

  const pooled = async () => {
    const connection = await client.acquireConnection();
    await client.releaseConnection(connection);
    return connection;
  };

  it("every connection the pool opens has synchronous = NORMAL, busy_timeout and foreign keys", async () => {
    expect(pragmasOf(await pooled())).toEqual(WANTED);
    // a connection opened later (a replacement) gets the same settings, not SQLite's defaults (FULL, 0)
    const fresh = await client.acquireRawConnection();
    try {
      expect(pragmasOf(fresh)).toEqual(WANTED);
    } finally {
      fresh.close();
    }
  });

  it("keeps its connection (and its settings) past the stock dialect's 10 s lifetime", async () => {
    const before = await pooled();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 60_000);
    await db.em().transactional(async (tx) => {
      tx.create(Note, { id: `late-${Date.now()}`, text: "after a minute" });
    });
    const after = await pooled();
    expect(after).toBe(before);
    expect(pragmasOf(after)).toEqual(WANTED);
  });

  it("prepares a statement once and reuses it, also after a failed execution", async () => {
    const connection = await pooled();
    const prepare = vi.spyOn(connection, "prepare");
    const insert = (i: number) =>
      db.em().transactional(async (tx) => {
        tx.create(Note, { id: `reuse-${i}`, text: `note ${i}` });
      });
    const insertsPrepared = () => prepare.mock.calls.filter(([sql]) => sql.startsWith("insert into `notes`"));
    await insert(0);
    expect(insertsPrepared().length).toBeLessThanOrEqual(1);
    prepare.mockClear();
    await insert(1);
    await insert(2);
    expect(insertsPrepared()).toEqual([]);
    expect(prepare).not.toHaveBeenCalledWith("BEGIN;");
    // the same id again: the cached insert fails, and the next use of it still works
    await expect(
      db.em().transactional(async (tx) => {
        tx.create(Note, { id: "reuse-0", text: "duplicate" });
      }),
    ).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    await db.em().transactional(async (tx) => {
      tx.create(Note, { id: "reuse-3", text: "note 3" });
    });
    const found = await db.em().find(Note, { id: { $like: "reuse-%" } }, { orderBy: { id: "asc" } });
    expect(found.map((n) => [n.id, n.text])).toEqual([
      ["reuse-0", "note 0"],
      ["reuse-1", "note 1"],
      ["reuse-2", "note 2"],
      ["reuse-3", "note 3"],
    ]);
    // reads see each call's own parameters
    const one = await db.em().findOne(Note, { id: "reuse-1" });
    const two = await db.em().findOne(Note, { id: "reuse-2" });
    expect([one?.text, two?.text]).toEqual(["note 1", "note 2"]);
  });

  it("a reused read statement holds no snapshot: it sees what another connection committed since", async () => {
    const count = async () => (await db.em().find(Note, { id: { $like: "other-%" } })).length;
    expect(await count()).toBe(0);
    expect(await count()).toBe(0);
    const other = await client.acquireRawConnection();
    try {
      other.prepare("INSERT INTO notes (id, text) VALUES ('other-1', 'from another connection')").all([]);
    } finally {
      other.close();
    }
    expect(await count()).toBe(1);
  });
});
