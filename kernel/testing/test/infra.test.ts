import { existsSync } from "node:fs";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import {
  createTestDatabase,
  ensureNats,
  ensurePostgres,
  portAnswers,
  type Started,
  uniqueName,
  waitFor,
} from "../src/index.js";

const DEAD_PG = "postgres://postgres@127.0.0.1:1/postgres";
const DEAD_NATS = "nats://127.0.0.1:2";

async function pgSelect(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

async function natsJetStreamRoundTrip(url: string): Promise<void> {
  const nc = await connect({ servers: url, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.getAccountInfo();
    expect(info.limits).toBeDefined();
    const stream = uniqueName("T").toUpperCase();
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    const ack = await jsm.jetstream().publish(`${stream}.x`, "hello");
    expect(ack.seq).toBe(1);
    await jsm.streams.delete(stream);
  } finally {
    await nc.close();
  }
}

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

async function expectStoppedCleanly(s: Started): Promise<void> {
  expect(s.stop).toBeTypeOf("function");
  await s.stop?.();
  expect(processIsGone(s.pid!)).toBe(true);
  expect(existsSync(s.dir!)).toBe(false);
}

describe("servers provided by the global setup", () => {
  it("PostgreSQL runs queries and creates per-test databases", async () => {
    const url = inject("pgUrl");
    expect(await pgSelect(url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
    const db = await createTestDatabase(url, uniqueName("lf_infra"));
    try {
      expect(await pgSelect(db.url, "SELECT current_database() AS db")).toEqual([
        { db: new URL(db.url).pathname.slice(1) },
      ]);
    } finally {
      await db.drop();
    }
  });

  it("NATS serves JetStream", async () => {
    await natsJetStreamRoundTrip(inject("natsUrl"));
  });

  it("replaces an override URL that does not answer with a private server", async () => {
    for (const [override, provided] of [
      [process.env.LATCHFLOW_TEST_PG_URL, inject("pgUrl")],
      [process.env.LATCHFLOW_TEST_NATS_URL, inject("natsUrl")],
    ] as const) {
      if (!override) continue;
      const { hostname, port } = new URL(override);
      const answers = await portAnswers(hostname, Number(port));
      expect(provided === override).toBe(answers);
    }
  });
});

describe("private servers (the fallback when nothing answers)", () => {
  it("starts, serves and stops a private PostgreSQL", async () => {
    const s = await ensurePostgres({ url: DEAD_PG });
    try {
      expect(s.url).not.toBe(DEAD_PG);
      expect(await pgSelect(s.url, "SELECT current_setting('fsync') AS fsync")).toEqual([{ fsync: "off" }]);
    } finally {
      await expectStoppedCleanly(s);
    }
  });

  it("starts, serves and stops a private nats-server with JetStream", async () => {
    const s = await ensureNats({ url: DEAD_NATS });
    try {
      await natsJetStreamRoundTrip(s.url);
    } finally {
      await expectStoppedCleanly(s);
    }
  });

  it("fails naming the Debian package when the binaries are missing", async () => {
    await expect(ensurePostgres({ url: DEAD_PG, binDirs: [] })).rejects.toThrow(
      /Debian package `postgresql`/,
    );
    await expect(ensureNats({ url: DEAD_NATS, binDirs: [] })).rejects.toThrow(/Debian package `nats-server`/);
  });
});

describe("waitFor", () => {
  it("returns the first truthy value", async () => {
    let n = 0;
    await expect(waitFor(() => ++n >= 3 && n, { timeoutMs: 1000, intervalMs: 5 })).resolves.toBe(3);
  });

  it("treats a throwing predicate as not yet", async () => {
    let n = 0;
    const value = await waitFor(
      () => {
        if (++n < 3) throw new Error("not yet");
        return "ok";
      },
      { timeoutMs: 1000, intervalMs: 5 },
    );
    expect(value).toBe("ok");
  });

  it("gives up after timeoutMs with a clear error", async () => {
    const t0 = Date.now();
    await expect(
      waitFor(
        () => {
          throw new Error("still empty");
        },
        { timeoutMs: 100, intervalMs: 20, description: "the queue to drain" },
      ),
    ).rejects.toThrow(
      /Timed out after 100 ms waiting for the queue to drain \(\d+ attempts\); last error: still empty/,
    );
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
