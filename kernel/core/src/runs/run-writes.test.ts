import { createLogger } from "@latchflow/runtime";
import {
  type Database,
  databaseTarget,
  OutboxMessage,
  openDatabase,
  outboxMigration,
} from "@latchflow/runtime/db";
import { createTestConfig, TEST_DIALECTS, watchStatements } from "@latchflow/runtime/testing";
import type { Json } from "@latchflow/sandbox";
import { dropSchemas, uniqueName } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { PipelineRow } from "../pipelines/entities.js";
import type { AuthClient, BundlesClient } from "../pipelines/validation.js";
import { createServiceActions } from "../plugins/service-actions.js";
import { createRun } from "./create-run.js";
import { AttemptRow, HostCallRow, KvRow, RunRow, runsMigration, StepRow, TimerRow } from "./entities.js";
import { LeaseLost, RunJournal } from "./run-journal.js";

const logger = createLogger({ level: "silent" });

const pipeline = (steps: { id: string; uses: string }[]) =>
  ({
    id: "01PIPE0000000000000000000A",
    tenant: "default",
    name: "p",
    version: 3,
    parsed: JSON.stringify({ spec: { triggers: [{ id: "go", uses: "manual@1" }], steps } }),
  }) as PipelineRow;

describe.each(TEST_DIALECTS)("run writes on %s", (dialect) => {
  const name = uniqueName("core_runw");
  const pgUrl = inject("pgUrl");
  const tc = createTestConfig({ dialect, name, pgUrl });
  let db: Database;
  let statements: string[] = [];

  beforeAll(async () => {
    db = await openDatabase(
      databaseTarget(tc.config, "kernel"),
      {
        entities: [OutboxMessage, RunRow, StepRow, AttemptRow, TimerRow, KvRow, HostCallRow],
        migrations: [outboxMigration, runsMigration],
      },
      logger,
    );
    // every statement sent to the database, seen at the driver: knex's and the run path's own
    // (runInTransaction); on Postgres with `$n` placeholders
    watchStatements(db, ({ sql }) => statements.push(sql));
  });
  afterAll(async () => {
    await db?.close();
    if (dialect === "postgres") await dropSchemas(pgUrl, `${name}_`);
    tc.cleanup();
  });

  const begin = async (steps: { id: string; uses: string }[]) => {
    const now = () => new Date();
    return db.em().transactional(async (tx) => {
      const { prepared } = await createRun(
        tx,
        {
          tenant: "default",
          pipeline: pipeline(steps),
          owner: { id: "u1", email: "o@example.com" },
          triggerId: "go",
          triggerUses: "manual@1",
          kind: "manual",
          payload: {},
          firedAt: now(),
          leaseOwner: "replica-a",
          leaseUntil: new Date(Date.now() + 30_000),
          requestId: "req",
        },
        async (created) => {
          const spec = JSON.parse(created.run.spec) as { steps: { id: string; uses: string }[] };
          const journal = new RunJournal(
            created.run,
            JSON.parse(created.run.spec),
            created.steps,
            now,
            created.draft,
          );
          const attempt = await journal.record(tx, () => journal.startAttempt(tx, 0, spec.steps[0] as never));
          return { journal, attempt, spec };
        },
      );
      return prepared;
    });
  };

  type Begun = Awaited<ReturnType<typeof begin>>;
  /** the first step's success recorded in a transaction of its own (fenced by `fence` when given) */
  const succeed = (b: Begun, outputs: Json, fence?: { owner: string; until: Date }) =>
    db
      .em()
      .transactional((tx) =>
        b.journal.record(
          tx,
          () => b.journal.succeed(tx, 0, b.spec.steps[0] as never, b.attempt, outputs),
          fence,
        ),
      );

  it("a run begun in its creating transaction is stored running with its first attempt started", async () => {
    const { journal } = await begin([{ id: "a", uses: "email@1" }]);
    const run = await db.em().findOneOrFail(RunRow, { id: journal.run.id });
    expect(run).toMatchObject({ status: "running", cursor: 0, leaseOwner: "replica-a" });
    expect(run.startedAt).toBeInstanceOf(Date);
    const [step] = await db.em().find(StepRow, { runId: run.id });
    expect(step).toMatchObject({ status: "running", attempts: 1 });
    expect(await db.em().count(AttemptRow, { stepRunId: step?.id, status: "running" })).toBe(1);
  });

  it("the creating transaction inserts the run, its steps, the first attempt and the events once each, as begun", async () => {
    statements = [];
    const { journal } = await begin([
      { id: "a", uses: "email@1" },
      { id: "b", uses: "email@1" },
    ]);
    const writes = statements.filter((s) => /^\s*(insert|update|delete)\b/i.test(s));
    const table = (s: string) => /^\s*\w+\s+(?:into\s+)?(?:\S+\.)?[`"]?(\w+)/i.exec(s)?.[1];
    expect(writes.map(table).sort()).toEqual([
      "lf_outbox",
      "pipeline_runs",
      "pipeline_step_attempts",
      "pipeline_step_runs",
    ]);
    const steps = await db.em().find(StepRow, { runId: journal.run.id }, { orderBy: { position: "asc" } });
    expect(steps.map((s) => [s.stepId, s.status, s.attempts])).toEqual([
      ["a", "running", 1],
      ["b", "pending", 0],
    ]);
    const events = await db.em().find(OutboxMessage, {}, { orderBy: { id: "asc" } });
    expect(events.map((e) => e.type).slice(-3)).toEqual([
      "pipelines.trigger.fired",
      "pipelines.run.started",
      "pipelines.step.started",
    ]);
  });

  it("an attempt started after the creating transaction is inserted on its own, the step and run updated", async () => {
    const { journal, spec } = await begin([
      { id: "a", uses: "email@1" },
      { id: "b", uses: "email@1" },
    ]);
    await db
      .em()
      .transactional((tx) => journal.record(tx, () => journal.startAttempt(tx, 1, spec.steps[1] as never)));
    const [, step] = await db.em().find(StepRow, { runId: journal.run.id }, { orderBy: { position: "asc" } });
    expect(step).toMatchObject({ status: "running", attempts: 1 });
    expect(await db.em().count(AttemptRow, { stepRunId: step?.id, status: "running", number: 1 })).toBe(1);
  });

  it("a creating transaction that fails writes none of the run's rows or events", async () => {
    const before = await db.em().count(RunRow, {});
    const outbox = await db.em().count(OutboxMessage, {});
    await expect(
      db.em().transactional(async (tx) => {
        await createRun(
          tx,
          {
            tenant: "default",
            pipeline: pipeline([{ id: "a", uses: "email@1" }]),
            owner: { id: "u1", email: "o@example.com" },
            triggerId: "go",
            triggerUses: "manual@1",
            kind: "manual",
            payload: {},
            firedAt: new Date(),
            leaseOwner: "replica-a",
            leaseUntil: new Date(Date.now() + 30_000),
            requestId: "req",
          },
          async () => undefined,
        );
        throw new Error("after the inserts");
      }),
    ).rejects.toThrow(/after the inserts/);
    expect(await db.em().count(RunRow, {})).toBe(before);
    expect(await db.em().count(OutboxMessage, {})).toBe(outbox);
  });

  it("the last step's success writes the step, the attempt and the run's outcome without reading them first", async () => {
    const begun = await begin([{ id: "a", uses: "email@1" }]);
    const { journal } = begun;
    statements = [];
    await succeed(begun, { sent: 1 });
    expect(statements.some((s) => /pipeline_step_attempts/.test(s))).toBe(true); // statements are seen
    const selects = statements.filter((s) => /\bselect\b/i.test(s) && /pipeline_(runs|step)/.test(s));
    expect(selects).toEqual([]);
    const runUpdates = statements.filter((s) => /^\s*update\s[^ ]*pipeline_runs\W/i.test(s));
    expect(runUpdates).toHaveLength(1); // cursor and outcome in one statement
    const run = await db.em().findOneOrFail(RunRow, { id: journal.run.id });
    expect(run).toMatchObject({ status: "succeeded", cursor: 1, leaseOwner: null, leaseUntil: null });
    expect(run.finishedAt).toBeInstanceOf(Date);
    const [step] = await db.em().find(StepRow, { runId: run.id });
    expect(step).toMatchObject({ status: "succeeded", outputs: JSON.stringify({ sent: 1 }) });
    expect(await db.em().count(AttemptRow, { stepRunId: step?.id, status: "succeeded" })).toBe(1);
    const events = await db.em().find(OutboxMessage, {}, { orderBy: { id: "asc" } });
    expect(events.map((e) => e.type).slice(-2)).toEqual([
      "pipelines.step.succeeded",
      "pipelines.run.succeeded",
    ]);
  });

  describe("fenced by the run's lease", () => {
    const fence = (owner: string) => ({ owner, until: new Date(Date.now() + 60_000) });
    const outboxCount = () => db.em().count(OutboxMessage, {});

    it("the holder's last step commits with one UPDATE of the run, which is the fence (no separate check)", async () => {
      const begun = await begin([{ id: "a", uses: "email@1" }]);
      const { journal } = begun;
      statements = [];
      await succeed(begun, null, fence("replica-a"));
      const runUpdates = statements.filter((s) => /^\s*update\s[^ ]*pipeline_runs\W/i.test(s));
      expect(runUpdates).toHaveLength(1);
      expect(runUpdates[0]).toMatch(/"lease_owner" = (\?|\$\d+)$/);
      const run = await db.em().findOneOrFail(RunRow, { id: journal.run.id });
      expect(run).toMatchObject({ status: "succeeded", cursor: 1, leaseOwner: null });
    });

    it("a change that keeps the run going renews the holder's lease in its UPDATE of the run", async () => {
      const begun = await begin([
        { id: "a", uses: "email@1" },
        { id: "b", uses: "email@1" },
      ]);
      const { journal } = begun;
      const f = fence("replica-a");
      await succeed(begun, null, f);
      const run = await db.em().findOneOrFail(RunRow, { id: journal.run.id });
      expect(run).toMatchObject({ status: "running", cursor: 1, leaseOwner: "replica-a" });
      expect(run.leaseUntil?.getTime()).toBe(f.until.getTime());
    });

    it("a replica that lost the lease cannot record a success: LeaseLost, and nothing of it is written", async () => {
      const begun = await begin([{ id: "a", uses: "email@1" }]);
      const { journal } = begun;
      await db.em().nativeUpdate(RunRow, { id: journal.run.id }, { leaseOwner: "replica-b" });
      const events = await outboxCount();
      await expect(succeed(begun, null, fence("replica-a"))).rejects.toBeInstanceOf(LeaseLost);
      const run = await db.em().findOneOrFail(RunRow, { id: journal.run.id });
      expect(run).toMatchObject({ status: "running", cursor: 0, leaseOwner: "replica-b" });
      const [step] = await db.em().find(StepRow, { runId: run.id });
      expect(step).toMatchObject({ status: "running" });
      expect(await db.em().count(AttemptRow, { stepRunId: step?.id, status: "running" })).toBe(1);
      expect(await outboxCount()).toBe(events);
    });

    it("a failure that changes nothing of the run is still fenced: refused once the lease is lost", async () => {
      const { journal, attempt, spec } = await begin([{ id: "a", uses: "email@1" }]);
      await db.em().nativeUpdate(RunRow, { id: journal.run.id }, { leaseOwner: null, leaseUntil: null });
      const f = { code: "unavailable", message: "down", retryable: false };
      await expect(
        db
          .em()
          .transactional((tx) =>
            journal.record(
              tx,
              () => journal.fail(tx, 0, spec.steps[0] as never, attempt, f, null),
              fence("replica-a"),
            ),
          ),
      ).rejects.toBeInstanceOf(LeaseLost);
      const [step] = await db.em().find(StepRow, { runId: journal.run.id });
      expect(step).toMatchObject({ status: "running", errorCode: "" });
    });

    it("the holder's failure and the run's end commit together, the run fenced by its first UPDATE", async () => {
      const { journal, attempt, spec } = await begin([{ id: "a", uses: "email@1" }]);
      const f = { code: "unavailable", message: "down", retryable: false };
      statements = [];
      await db.em().transactional((tx) =>
        journal.record(
          tx,
          async () => {
            await journal.fail(tx, 0, spec.steps[0] as never, attempt, f, null);
            await journal.finish(tx, f.code, "step a: down");
          },
          fence("replica-a"),
        ),
      );
      const runUpdates = statements.filter((s) => /^\s*update\s[^ ]*pipeline_runs\W/i.test(s));
      expect(runUpdates.map((s) => /lease_owner" = (\?|\$\d+)$/.test(s))).toEqual([true, false]);
      const run = await db.em().findOneOrFail(RunRow, { id: journal.run.id });
      expect(run).toMatchObject({ status: "failed", errorCode: "unavailable", leaseOwner: null });
    });
  });

  it("a journal change made outside record() throws and writes nothing (no event can be dropped)", async () => {
    const { journal, attempt, spec } = await begin([{ id: "a", uses: "email@1" }]);
    await expect(
      db.em().transactional((tx) => journal.succeed(tx, 0, spec.steps[0] as never, attempt, null)),
    ).rejects.toThrow(/outside record/);
    const run = await db.em().findOneOrFail(RunRow, { id: journal.run.id });
    expect(run).toMatchObject({ status: "running", cursor: 0 });
  });

  it("a step that is not the last moves the cursor and leaves the run running", async () => {
    const { journal, attempt, spec } = await begin([
      { id: "a", uses: "email@1" },
      { id: "b", uses: "email@1" },
    ]);
    await db
      .em()
      .transactional((tx) =>
        journal.record(tx, () => journal.succeed(tx, 0, spec.steps[0] as never, attempt, null)),
      );
    const run = await db.em().findOneOrFail(RunRow, { id: journal.run.id });
    expect(run).toMatchObject({ status: "running", cursor: 1, leaseOwner: "replica-a" });
  });

  it("a failure that waits for a retry gives the lease back and sets the wake-up time", async () => {
    const { journal, attempt, spec } = await begin([{ id: "a", uses: "email@1" }]);
    const retryAt = new Date(Date.now() + 60_000);
    const f = { code: "unavailable", message: "smtp down", retryable: true };
    await db
      .em()
      .transactional((tx) =>
        journal.record(tx, () => journal.fail(tx, 0, spec.steps[0] as never, attempt, f, retryAt)),
      );
    const run = await db.em().findOneOrFail(RunRow, { id: journal.run.id });
    expect(run).toMatchObject({ status: "waiting", leaseOwner: null, leaseUntil: null });
    expect(run.wakeAt?.getTime()).toBe(retryAt.getTime());
    const [step] = await db.em().find(StepRow, { runId: run.id });
    expect(step).toMatchObject({ status: "waiting", errorCode: "unavailable" });
  });

  describe("host calls remembered by idempotency key", () => {
    const actions = () =>
      createServiceActions({
        db,
        clients: { bundles: {} as BundlesClient, auth: {} as AuthClient },
        publicUrl: () => "http://localhost",
        now: () => new Date(),
      });

    it("acts once; a later call with the key returns the stored result without acting", async () => {
      const a = actions();
      let calls = 0;
      const fn = async (): Promise<Json> => ({ n: ++calls });
      expect(await a.once("default", "mail:k-once", fn)).toEqual({ n: 1 });
      expect(await a.once("default", "mail:k-once", fn)).toEqual({ n: 1 });
      expect(calls).toBe(1);
      // another tenant has its own keys
      expect(await a.once("other", "mail:k-once", fn)).toEqual({ n: 2 });
    });

    it("a call left unfinished (a crash mid-call) acts again, and its result is then remembered", async () => {
      await db.em().insert(HostCallRow, {
        id: "01HOSTCALL0000000000000001",
        tenant: "default",
        key: "mail:k-pending",
        state: "pending",
        result: "null",
        createdAt: new Date(),
      });
      const a = actions();
      let calls = 0;
      expect(await a.once("default", "mail:k-pending", async () => ({ n: ++calls }))).toEqual({ n: 1 });
      expect(await a.once("default", "mail:k-pending", async () => ({ n: ++calls }))).toEqual({ n: 1 });
      expect(calls).toBe(1);
    });

    it("two attempts in flight with one key both finish (neither fails on the key), one result is kept", async () => {
      const a = actions();
      let release: () => void = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const first = a.once("default", "mail:k-race", async () => {
        await gate;
        return { by: "first" };
      });
      const second = a.once("default", "mail:k-race", async () => {
        await gate;
        return { by: "second" };
      });
      release();
      const results = await Promise.all([first, second]);
      expect(results.map((r) => (r as { by: string }).by).sort()).toEqual(["first", "second"]);
      const rows = await db.em().find(HostCallRow, { tenant: "default", key: "mail:k-race" });
      expect(rows).toHaveLength(1);
      expect(rows[0]?.state).toBe("done");
      const kept = await a.once("default", "mail:k-race", async () => ({ by: "third" }));
      expect(["first", "second"]).toContain((kept as { by: string }).by);
    });
  });
});
