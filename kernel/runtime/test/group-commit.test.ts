import { spawn } from "node:child_process";
import { open } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dropSchemas, uniqueName, waitFor } from "@latchflow/testing";
import { afterAll, describe, expect, inject, it, vi } from "vitest";
import { createLogger, databaseTarget, openDatabase } from "../src/index.js";
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
      // reads do not sync
      await db.em().find(Note, {});
      expect(datasync).toHaveBeenCalledTimes(2);
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
  it("a connection the pool opens later (libsql's are replaced at 10 s) keeps NORMAL and the busy timeout", async () => {
    const db = await openDatabase(target, notesSchema, logger);
    try {
      const knex = db.orm.em.getKnex();
      const client = knex.client as unknown as {
        acquireConnection(): Promise<{ __created: number }>;
        releaseConnection(conn: unknown): Promise<void>;
      };
      const first = await client.acquireConnection();
      first.__created = Date.now() - 60_000; // as if open for a minute: the pool replaces it on next acquire
      await client.releaseConnection(first);
      const second = await client.acquireConnection();
      expect(second).not.toBe(first);
      await client.releaseConnection(second);
      expect(await knex.raw("PRAGMA synchronous")).toEqual([{ synchronous: 1 }]);
      expect(await knex.raw("PRAGMA busy_timeout")).toEqual([{ timeout: 5000 }]);
      expect(await knex.raw("PRAGMA foreign_keys")).toEqual([{ foreign_keys: 1 }]);
      // and it still works through the ORM
      await db.em().transactional(async (tx) => {
        tx.create(Note, { id: "after-replace", text: "after replace" });
      });
      expect(await db.em().count(Note, { id: "after-replace" })).toBe(1);
    } finally {
      await db.close();
    }
  });
});
