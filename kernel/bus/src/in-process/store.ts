import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type Database from "libsql";
import { createWalSync, type WalSync } from "../sqlite/wal-sync.js";

/** One row of the append-only log. */
export interface StoredMessage {
  seq: number;
  eventId: string;
  subject: string;
  body: string;
}

export const PendingState = {
  /** handed to a handler; `nextAt` is its ack deadline */
  InFlight: "inflight",
  /** failed; `nextAt` is when it is redelivered */
  Waiting: "waiting",
  /** dead-lettered; never delivered again */
  Dead: "dead",
} as const;
export type PendingState = (typeof PendingState)[keyof typeof PendingState];

/** A message a consumer has been given at least once and not yet acked. */
export interface PendingRow {
  seq: number;
  attempts: number;
  nextAt: number;
  state: PendingState;
}

export interface ConsumerRecord {
  /** Every seq <= cursor has been delivered at least once, or did not match the filter. */
  cursor: number;
  /** Un-acked deliveries that are not dead, in-flight ones (lost with their process) made due now. */
  pending: PendingRow[];
}

/**
 * libsql, a native addon (~8 MiB resident), is loaded when a store opens: a process whose bus is NATS never
 * opens one and never loads it (ADR 070).
 */
const requireLibsql = (): typeof Database => createRequire(import.meta.url)("libsql");

/** Rows per multi-row statement of a batch's bookkeeping (a batch bigger than this takes several). */
const MAX_ROWS = 64;

/** Newest messages kept in memory, so consumers that keep up read new messages without a query. */
const TAIL_SIZE = 512;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bus_messages (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id     TEXT    NOT NULL UNIQUE,
  subject      TEXT    NOT NULL,
  body         TEXT    NOT NULL,
  published_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bus_consumers (
  name      TEXT    PRIMARY KEY,
  filter    TEXT    NOT NULL,
  cursor    INTEGER NOT NULL DEFAULT 0,
  ephemeral INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS bus_pending (
  consumer TEXT    NOT NULL,
  seq      INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  next_at  INTEGER NOT NULL,
  state    TEXT    NOT NULL,
  PRIMARY KEY (consumer, seq)
) WITHOUT ROWID;
`;

/**
 * Files written before consumers were marked ephemeral get the column. Their only ephemeral consumers were the
 * gateways' identity-drop subscribers (`gateway-identity-<ulid>`), marked here so that rows of crashed processes
 * are removed like any other.
 */
function addEphemeralColumn(db: Database.Database): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('bus_consumers')").all() as {
    name: string;
  }[];
  if (columns.some((c) => c.name === "ephemeral")) return;
  db.transaction(() => {
    db.exec("ALTER TABLE bus_consumers ADD COLUMN ephemeral INTEGER NOT NULL DEFAULT 0");
    db.exec("UPDATE bus_consumers SET ephemeral = 1 WHERE name LIKE 'gateway-identity-%'");
  })();
}

/**
 * SQLite persistence of the in-process bus: the message log and each durable consumer's state.
 * Every method is one committed statement or transaction; one bus (process) per file. Commits survive a killed
 * process at once (WAL); `durable()` also puts them on disk (group commit: one sync for every commit so far).
 * Only appends wait for it: consumer state that a power loss rolls back means redelivery, which
 * at-least-once allows, but an accepted event must not be lost.
 */
export class BusStore {
  readonly #db: Database.Database;
  readonly #stmts;
  /** multi-row statements of a batch's bookkeeping, by kind and number of rows */
  readonly #multi = new Map<string, Database.Statement>();
  readonly #sync: WalSync | undefined;
  /**
   * The log's newest messages, oldest first: every message with a seq above `#tailAfter`, each appended
   * (committed) by this store — the only writer of its file — so a read past `#tailAfter` is the log's.
   */
  #tail: StoredMessage[] = [];
  #tailAfter: number;

  constructor(path: string) {
    // the first start of a fresh clone: the data dir does not exist yet
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const Sqlite = requireLibsql();
    this.#db = new Sqlite(path, { timeout: 5000 });
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = NORMAL");
    if (path !== ":memory:") this.#sync = createWalSync(path);
    this.#db.exec(SCHEMA);
    addEphemeralColumn(this.#db);
    const db = this.#db;
    this.#stmts = {
      append: db.prepare(
        "INSERT INTO bus_messages (event_id, subject, body, published_at) VALUES (?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
      ),
      // the highest seq ever given (AUTOINCREMENT): pruning may have removed that message
      lastSeq: db.prepare(
        "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'bus_messages'), 0) AS seq",
      ),
      readAfter: db.prepare(
        "SELECT seq, event_id AS eventId, subject, body FROM bus_messages WHERE seq > ? ORDER BY seq LIMIT ?",
      ),
      message: db.prepare("SELECT seq, event_id AS eventId, subject, body FROM bus_messages WHERE seq = ?"),
      upsertConsumer: db.prepare(
        "INSERT INTO bus_consumers (name, filter) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET filter = excluded.filter",
      ),
      addConsumer: db.prepare(
        "INSERT INTO bus_consumers (name, filter, cursor, ephemeral) VALUES (?, ?, ?, 1)",
      ),
      staleEphemeralPending: db.prepare(
        "DELETE FROM bus_pending WHERE consumer IN (SELECT name FROM bus_consumers WHERE ephemeral = 1)",
      ),
      staleEphemeral: db.prepare("DELETE FROM bus_consumers WHERE ephemeral = 1"),
      prune: db.prepare(
        `DELETE FROM bus_messages WHERE seq IN (
           SELECT m.seq FROM bus_messages m
           WHERE m.published_at < ?
             AND m.seq <= (SELECT COALESCE(MIN(cursor), (SELECT MAX(seq) FROM bus_messages)) FROM bus_consumers)
             AND NOT EXISTS (SELECT 1 FROM bus_pending p WHERE p.seq = m.seq)
           ORDER BY m.seq LIMIT ?
         ) RETURNING seq`,
      ),
      dropConsumer: db.prepare("DELETE FROM bus_consumers WHERE name = ?"),
      dropPending: db.prepare("DELETE FROM bus_pending WHERE consumer = ?"),
      setFilter: db.prepare("UPDATE bus_consumers SET filter = ? WHERE name = ?"),
      cursor: db.prepare("SELECT cursor FROM bus_consumers WHERE name = ?"),
      setCursor: db.prepare("UPDATE bus_consumers SET cursor = ? WHERE name = ? AND cursor < ?"),
      recoverInFlight: db.prepare(
        "UPDATE bus_pending SET state = 'waiting', next_at = ? WHERE consumer = ? AND state = 'inflight'",
      ),
      pending: db.prepare(
        "SELECT seq, attempts, next_at AS nextAt, state FROM bus_pending WHERE consumer = ? AND state != 'dead' ORDER BY seq",
      ),
      retry: db.prepare(
        "UPDATE bus_pending SET state = 'waiting', next_at = ? WHERE consumer = ? AND seq = ? AND state != 'dead'",
      ),
      dead: db.prepare("UPDATE bus_pending SET state = 'dead' WHERE consumer = ? AND seq = ?"),
    };
    // one bus per file: an ephemeral consumer left here belongs to a process that is gone (killed, crashed)
    this.together(() => {
      this.#stmts.staleEphemeralPending.run();
      this.#stmts.staleEphemeral.run();
    });
    this.#tailAfter = this.lastSeq();
  }

  /** Appends a message; returns its seq, or undefined when the event id is already in the log. */
  append(eventId: string, subject: string, body: string): number | undefined {
    const result = this.#stmts.append.run(eventId, subject, body, Date.now());
    if (result.changes !== 1) return undefined;
    const seq = Number(result.lastInsertRowid);
    this.#tail.push({ seq, eventId, subject, body });
    if (this.#tail.length >= 2 * TAIL_SIZE) {
      const dropped = this.#tail.length - TAIL_SIZE;
      this.#tailAfter = this.#tail[dropped - 1]!.seq;
      this.#tail = this.#tail.slice(dropped);
    }
    return seq;
  }

  /** Resolves once every commit made so far is on disk. */
  async durable(): Promise<void> {
    await this.#sync?.flush();
  }

  lastSeq(): number {
    return (this.#stmts.lastSeq.get() as { seq: number }).seq;
  }

  /**
   * Deletes at most `limit` messages published before `before` that no consumer needs any more: every consumer's
   * cursor is past them and none has them pending (dead letters included, kept for inspection). Returns how many
   * went. A consumer created later (cursor 0) reads only what is left, as with JetStream's limits.
   */
  prune(before: number, limit: number): number {
    const gone = new Set((this.#stmts.prune.all(before, limit) as { seq: number }[]).map((r) => r.seq));
    if (gone.size > 0) this.#tail = this.#tail.filter((m) => !gone.has(m.seq));
    return gone.size;
  }

  /** Messages after `seq`, oldest first, at most `limit`: from memory when the tail holds them all. */
  readAfter(seq: number, limit: number): StoredMessage[] {
    if (seq >= this.#tailAfter) {
      let i = this.#tail.length;
      while (i > 0 && this.#tail[i - 1]!.seq > seq) i--;
      return this.#tail.slice(i, i + limit);
    }
    return this.#stmts.readAfter.all(seq, limit) as StoredMessage[];
  }

  message(seq: number): StoredMessage | undefined {
    return this.#stmts.message.get(seq) as StoredMessage | undefined;
  }

  /**
   * Creates the consumer (cursor 0: deliver all) or loads it. In-flight rows belong to a process that
   * is gone (this bus has no handler running for the consumer yet), so they become due `now`.
   */
  openConsumer(name: string, filter: string, now: number): ConsumerRecord {
    return this.#db.transaction(() => {
      this.#stmts.upsertConsumer.run(name, filter);
      this.#stmts.recoverInFlight.run(now, name);
      const { cursor } = this.#stmts.cursor.get(name) as { cursor: number };
      return { cursor, pending: this.#stmts.pending.all(name) as PendingRow[] };
    })();
  }

  /**
   * Creates a consumer that starts after `cursor` (an ephemeral one: the log's end). Throws when the name is
   * taken: an ephemeral consumer is never shared.
   */
  addConsumer(name: string, filter: string, cursor: number): ConsumerRecord {
    this.#stmts.addConsumer.run(name, filter, cursor);
    return { cursor, pending: [] };
  }

  /** Deletes a consumer and its pending deliveries (an ephemeral consumer whose subscriber stopped). */
  dropConsumer(name: string): void {
    this.together(() => {
      this.#stmts.dropPending.run(name);
      this.#stmts.dropConsumer.run(name);
    });
  }

  /** Changes the filter of an open consumer; messages already skipped stay skipped (as in JetStream). */
  setFilter(name: string, filter: string): void {
    this.#stmts.setFilter.run(filter, name);
  }

  /**
   * Runs `fn` (calls of this store's write methods) as one transaction: a batch's deliveries, or its
   * outcomes, commit together instead of one commit each.
   */
  together(fn: () => void): void {
    this.#db.transaction(fn)();
  }

  /**
   * Records deliveries (in flight until `deadline`) and, when some were first deliveries, moves the cursor to
   * the highest of them, in one transaction.
   */
  delivered(
    consumer: string,
    picks: readonly { seq: number; attempts: number }[],
    deadline: number,
    cursor?: number,
  ): void {
    const write = () => {
      for (let i = 0; i < picks.length; i += MAX_ROWS) {
        const chunk = picks.slice(i, i + MAX_ROWS);
        const values: (string | number)[] = [];
        for (const { seq, attempts } of chunk) values.push(consumer, seq, attempts, deadline);
        this.#rows("deliver", chunk.length).run(values);
      }
      if (cursor !== undefined) this.#stmts.setCursor.run(cursor, consumer, cursor);
    };
    // one statement alone commits by itself
    if (picks.length <= MAX_ROWS && cursor === undefined) write();
    else this.together(write);
  }

  /** Acks deliveries: one statement (per {@link MAX_ROWS}, then in one transaction). */
  ack(consumer: string, seqs: readonly number[]): void {
    const write = () => {
      for (let i = 0; i < seqs.length; i += MAX_ROWS) {
        const chunk = seqs.slice(i, i + MAX_ROWS);
        this.#rows("ack", chunk.length).run([consumer, ...chunk]);
      }
    };
    if (seqs.length <= MAX_ROWS) write();
    else this.together(write);
  }

  /** The multi-row statement of `kind` for `n` rows, prepared once. */
  #rows(kind: "deliver" | "ack", n: number): Database.Statement {
    const key = `${kind}|${n}`;
    let stmt = this.#multi.get(key);
    if (!stmt) {
      stmt = this.#db.prepare(
        kind === "deliver"
          ? `INSERT INTO bus_pending (consumer, seq, attempts, next_at, state) VALUES ${Array(n).fill("(?, ?, ?, ?, 'inflight')").join(", ")}
             ON CONFLICT (consumer, seq) DO UPDATE SET attempts = excluded.attempts, next_at = excluded.next_at, state = 'inflight'`
          : `DELETE FROM bus_pending WHERE consumer = ? AND seq IN (${Array(n).fill("?").join(", ")})`,
      );
      this.#multi.set(key, stmt);
    }
    return stmt;
  }

  /** Moves the cursor past messages that do not match the consumer's filter. */
  skipTo(consumer: string, cursor: number): void {
    this.#stmts.setCursor.run(cursor, consumer, cursor);
  }

  retryAt(consumer: string, seq: number, nextAt: number): void {
    this.#stmts.retry.run(nextAt, consumer, seq);
  }

  markDead(consumer: string, seq: number): void {
    this.#stmts.dead.run(consumer, seq);
  }

  async close(): Promise<void> {
    await this.#sync?.close();
    this.#db.close();
  }
}
