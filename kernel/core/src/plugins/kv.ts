import { kvKeyProblem, kvValueText } from "@latchflow/plugin-sdk/invocation";
import { newId } from "@latchflow/runtime";
import type { Database, EntityManager } from "@latchflow/runtime/db";
import { type Json, SandboxError, SandboxErrorCode } from "@latchflow/sandbox";
import { UniqueConstraintViolationException } from "@mikro-orm/core";
import { KvRow } from "../runs/entities.js";

/** Plugin key-value state as a plugin sees it (`host.kv`). */
export interface Kv {
  get(key: string): Promise<Json | null>;
  set(key: string, value: Json): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface KvAddress {
  tenant: string;
  plugin: string;
  /** `<pipelineId>/<triggerOrStepId>` */
  scope: string;
}

function checkKey(key: string) {
  const problem = kvKeyProblem(key);
  if (problem !== undefined) throw new SandboxError(SandboxErrorCode.PluginError, problem);
}

function encode(value: Json): string {
  const out = kvValueText(value);
  if ("problem" in out) throw new SandboxError(SandboxErrorCode.OutputTooLarge, out.problem);
  return out.text;
}

const where = (a: KvAddress, key: string) => ({ tenant: a.tenant, plugin: a.plugin, scope: a.scope, key });

async function upsert(em: EntityManager, a: KvAddress, key: string, text: string, now: Date) {
  const row = await em.findOne(KvRow, where(a, key));
  if (row) {
    row.value = text;
    row.version += 1;
    row.updatedAt = now;
  } else {
    em.create(KvRow, { id: newId(), ...where(a, key), value: text, version: 1, updatedAt: now });
  }
}

/** Reads and writes that commit at once (actions). */
export function directKv(db: Database, a: KvAddress, now: () => Date): Kv {
  return {
    async get(key) {
      checkKey(key);
      const row = await db.em().findOne(KvRow, where(a, key));
      return row ? (JSON.parse(row.value) as Json) : null;
    },
    async set(key, value) {
      checkKey(key);
      const text = encode(value);
      await db.em().transactional((tx) => upsert(tx, a, key, text, now()));
    },
    async delete(key) {
      checkKey(key);
      await db.em().nativeDelete(KvRow, where(a, key));
    },
  };
}

/**
 * Reads through to the database, buffers writes: a trigger's kv changes commit in the same transaction as
 * its timers and fired runs (all or nothing). The commit fails with `conflict` when a key it read changed
 * meanwhile (another replica), so the invocation can be retried on fresh state.
 */
export class KvOverlay implements Kv {
  private readonly read = new Map<string, number>();
  private readonly writes = new Map<string, string | null>();

  constructor(
    private readonly db: Database,
    readonly address: KvAddress,
  ) {}

  async get(key: string): Promise<Json | null> {
    checkKey(key);
    if (this.writes.has(key)) {
      const w = this.writes.get(key);
      return w == null ? null : (JSON.parse(w) as Json);
    }
    const row = await this.db.em().findOne(KvRow, where(this.address, key));
    if (!this.read.has(key)) this.read.set(key, row?.version ?? 0);
    return row ? (JSON.parse(row.value) as Json) : null;
  }

  async set(key: string, value: Json): Promise<void> {
    checkKey(key);
    this.writes.set(key, encode(value));
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    this.writes.set(key, null);
  }

  /**
   * Applies the buffered writes in `em`'s transaction; false when a key it read changed meanwhile. Every write
   * of a key that was read is conditional on the version read (one UPDATE/DELETE that must hit its row, or an
   * INSERT that must not collide), so two replicas cannot both win, on SQLite or Postgres.
   */
  async commit(em: EntityManager, now: Date): Promise<boolean> {
    for (const [key, text] of this.writes) {
      const read = this.read.get(key);
      const at = where(this.address, key);
      if (read === undefined) {
        if (text === null) await em.nativeDelete(KvRow, at);
        else await upsert(em, this.address, key, text, now);
      } else if (read === 0) {
        if (text === null) continue;
        try {
          await em.insert(KvRow, { id: newId(), ...at, value: text, version: 1, updatedAt: now });
        } catch (err) {
          if (err instanceof UniqueConstraintViolationException) return false;
          throw err;
        }
      } else {
        const n =
          text === null
            ? await em.nativeDelete(KvRow, { ...at, version: read })
            : await em.nativeUpdate(
                KvRow,
                { ...at, version: read },
                { value: text, version: read + 1, updatedAt: now },
              );
        if (n !== 1) return false;
      }
    }
    // keys only read must still be as read (another replica may have changed one this decision rests on)
    for (const [key, version] of this.read) {
      if (this.writes.has(key)) continue;
      const row = await em.findOne(KvRow, where(this.address, key));
      if ((row?.version ?? 0) !== version) return false;
    }
    return true;
  }
}
