import { type SeenStatement, TEST_DIALECTS, watchStatements } from "@latchflow/runtime/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AuditLog } from "../src/audit-log.js";
import { GENESIS_HASH, recordHash } from "../src/canonical.js";
import { chainedFromRow } from "../src/record.js";
import { verifyCheckpointSignature } from "../src/signing.js";
import { type Backend, createBackend, ctx, event, publishAll, startAudit, startReplica } from "./harness.js";

/** Every record of a tenant, oldest first. */
async function all(log: AuditLog, tenant = "default") {
  const head = await log.head(tenant);
  const rows = [];
  for await (const batch of log.batches(tenant, {}, head.seq)) rows.push(...batch);
  return rows;
}

describe.each(TEST_DIALECTS)("audit hash chain on %s", (dialect) => {
  let backend: Backend;
  let log: AuditLog;

  beforeAll(async () => {
    backend = await createBackend(dialect, inject("pgUrl"));
    log = await backend.openLog();
  });
  afterAll(async () => {
    await backend?.cleanup();
  });

  it("numbers each tenant's records without gaps and links every hash to the one before", async () => {
    const events = Array.from({ length: 12 }, () => event({ tenant: "chain" }));
    await log.append(events.slice(0, 5));
    await log.append(events.slice(5));
    await log.append([event({ tenant: "other" })]);
    const rows = await all(log, "chain");
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(rows.map((r) => r.id)).toEqual(events.map((e) => e.id));
    let prev = GENESIS_HASH;
    for (const r of rows) {
      expect(r.prevHash).toBe(prev);
      expect(r.hash).toBe(recordHash(prev, chainedFromRow(r)));
      prev = r.hash;
    }
    expect(await log.head("chain")).toEqual({ seq: 12, hash: prev });
    expect((await all(log, "other")).map((r) => r.seq)).toEqual([1]);
    const result = await log.verify("chain");
    expect(result).toMatchObject({
      ok: true,
      checked: 12,
      headSeq: 12,
      checkpointsVerified: 2,
      anchoredSeq: 10,
    });
    expect(result.firstBroken).toBeUndefined();
  });

  it("appends in one transaction on one connection: the head locked first, moved last", async () => {
    const own = await backend.openLog();
    let seen: SeenStatement[] = [];
    watchStatements(own.db, (s) => seen.push(s));
    await own.append([event({ tenant: "tx" })]); // warm: the head row exists
    seen = [];
    await own.append([event({ tenant: "tx" }), event({ tenant: "tx" })]);
    const kinds = seen.map(({ sql }) => {
      const s = sql.replace(/\s+/g, " ").toLowerCase();
      if (/^(begin|commit|rollback)\b/.test(s)) return s.replace(/;$/, "").trim();
      if (s.startsWith("insert") && s.includes("audit_chain_heads")) return "lock head";
      if (s.startsWith("select") && s.includes("audit_log")) return "recorded ids";
      if (s.startsWith("insert") && s.includes("audit_log")) return "insert records";
      if (s.startsWith("update") && s.includes("audit_chain_heads")) return "move head";
      return s;
    });
    expect(kinds).toEqual(["begin", "lock head", "recorded ids", "insert records", "move head", "commit"]);
    expect(new Set(seen.map((s) => s.connection)).size).toBe(1);
  });

  it("stores a redelivered or re-published event once", async () => {
    const e = event({ tenant: "dupes" });
    expect(await log.append([e])).toEqual({ stored: 1, duplicates: 0 });
    expect(await log.append([e, e])).toEqual({ stored: 0, duplicates: 2 });
    const other = await backend.openLog();
    expect(await other.append([e, event({ tenant: "dupes" })])).toEqual({ stored: 1, duplicates: 1 });
    expect((await all(log, "dupes")).map((r) => r.seq)).toEqual([1, 2]);
  });

  it("signs a checkpoint every N records and on demand; the signature verifies with the public key", async () => {
    await log.append(Array.from({ length: 7 }, () => event({ tenant: "cp" })));
    const page = await log.checkpoints("cp");
    expect(page.items.map((c) => c.seq)).toEqual([5]);
    const rows = await all(log, "cp");
    const at5 = page.items[0]!;
    expect(at5.hash).toBe(rows[4]!.hash);
    expect(verifyCheckpointSignature(log.publicKey, { ...at5, seq: 5 }, at5.signature)).toBe(true);
    expect(verifyCheckpointSignature(log.publicKey, { ...at5, seq: 6 }, at5.signature)).toBe(false);
    expect(verifyCheckpointSignature(log.publicKey, { ...at5, hash: rows[3]!.hash }, at5.signature)).toBe(
      false,
    );

    const onDemand = await log.checkpoint("cp");
    expect(onDemand.created).toBe(true);
    expect(onDemand.checkpoint).toMatchObject({ seq: 7, hash: rows[6]!.hash, keyId: log.publicKey.keyId });
    expect((await log.checkpoint("cp")).created).toBe(false);
    expect((await log.checkpoints("cp")).items.map((c) => c.seq)).toEqual([7, 5]);
    await expect(log.checkpoint("nobody")).rejects.toMatchObject({ code: "conflict" });
  });

  it("names the record whose data was edited in the database", async () => {
    await log.append(Array.from({ length: 6 }, () => event({ tenant: "edit" })));
    const rows = await all(log, "edit");
    const victim = rows[2]!;
    await backend.sql("audit_log", `UPDATE {t} SET data = ? WHERE id = ?`, [
      '{"changes":["nothing"]}',
      victim.id,
    ]);
    expect(await log.verify("edit")).toMatchObject({
      ok: false,
      checked: 2,
      firstBroken: { seq: 3, id: victim.id, reason: "hash_mismatch" },
    });
  });

  it("names the record whose actor was edited, and content that is no longer JSON", async () => {
    await log.append(Array.from({ length: 3 }, () => event({ tenant: "actor" })));
    const rows = await all(log, "actor");
    await backend.sql("audit_log", `UPDATE {t} SET actor_id = ? WHERE id = ?`, ["someone-else", rows[1]!.id]);
    expect((await log.verify("actor")).firstBroken).toMatchObject({
      seq: 2,
      id: rows[1]!.id,
      reason: "hash_mismatch",
    });
    await backend.sql("audit_log", `UPDATE {t} SET subject_ids = ? WHERE id = ?`, ["{broken", rows[0]!.id]);
    expect((await log.verify("actor")).firstBroken).toMatchObject({
      seq: 1,
      id: rows[0]!.id,
      reason: "hash_mismatch",
    });
  });

  it("names the gap where a record was deleted, and missing records at the end", async () => {
    await log.append(Array.from({ length: 8 }, () => event({ tenant: "gap" })));
    const rows = await all(log, "gap");
    await backend.sql("audit_log", `DELETE FROM {t} WHERE id = ?`, [rows[3]!.id]);
    const gap = await log.verify("gap");
    expect(gap).toMatchObject({ ok: false, checked: 3, firstBroken: { seq: 4, id: "", reason: "gap" } });
    expect(gap.firstBroken?.message).toContain(rows[4]!.id);

    await log.append(Array.from({ length: 2 }, () => event({ tenant: "tail" })));
    const tail = await all(log, "tail");
    await backend.sql("audit_log", `DELETE FROM {t} WHERE id = ?`, [tail[1]!.id]);
    expect(await log.verify("tail")).toMatchObject({
      ok: false,
      checked: 1,
      firstBroken: { seq: 2, reason: "truncated" },
    });
  });

  it("detects a filter column that no longer matches the record (hiding it from filtered queries)", async () => {
    await log.append([event({ tenant: "idx", subjectIds: { bundleId: "B1", recipientId: "R1" } })]);
    const [row] = await all(log, "idx");
    await backend.sql("audit_log", `UPDATE {t} SET recipient_id = NULL WHERE id = ?`, [row!.id]);
    expect((await log.verify("idx")).firstBroken).toMatchObject({ seq: 1, reason: "index_mismatch" });
  });

  it("detects a rewritten chain (every later hash recomputed) through the signed checkpoint", async () => {
    await log.append(Array.from({ length: 7 }, () => event({ tenant: "rewrite" })));
    const rows = await all(log, "rewrite");
    // the attacker edits record 2 and recomputes every hash after it, and the head
    let prev = rows[0]!.hash;
    for (const r of rows.slice(1)) {
      const fields = chainedFromRow(r);
      if (r.seq === 2) fields.data = { changes: ["forged"] };
      const hash = recordHash(prev, fields);
      await backend.sql("audit_log", `UPDATE {t} SET data = ?, prev_hash = ?, hash = ? WHERE id = ?`, [
        JSON.stringify(fields.data),
        prev,
        hash,
        r.id,
      ]);
      prev = hash;
    }
    await backend.sql("audit_chain_heads", `UPDATE {t} SET hash = ? WHERE tenant = ?`, [prev, "rewrite"]);
    expect(await log.verify("rewrite")).toMatchObject({
      ok: false,
      checked: 5,
      checkpointsVerified: 0,
      firstBroken: { seq: 5, id: rows[4]!.id, reason: "checkpoint_mismatch" },
    });
    // … and re-signing is impossible without the key: a checkpoint with the new hash does not verify
    await backend.sql("audit_checkpoints", `UPDATE {t} SET hash = ? WHERE tenant = ? AND seq = 5`, [
      (await all(log, "rewrite"))[4]!.hash,
      "rewrite",
    ]);
    expect((await log.verify("rewrite")).firstBroken).toMatchObject({
      seq: 5,
      reason: "checkpoint_signature_invalid",
    });
  });

  it("never forks a chain when two replicas (processes) append to the same tenant concurrently", async () => {
    const events = Array.from({ length: 150 }, () => event({ tenant: "race" }));
    // both replicas also get some of the same events (a redelivery racing the first delivery)
    const shared = events.slice(0, 30);
    const replica = await startReplica(backend, [...events.slice(90), ...shared]);
    const mine = [...shared, ...events.slice(30, 90)];
    await replica.go();
    for (const e of mine) await log.append([e]);
    await replica.done;
    const rows = await all(log, "race");
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(events.map((e) => e.id)));
    // interleaved: neither replica appended all of its events before the other started
    const fromReplica = new Set(events.slice(90).map((e) => e.id));
    const firstOther = rows.findIndex((r) => fromReplica.has(r.id));
    const lastMine = rows.findLastIndex((r) => !fromReplica.has(r.id));
    expect(firstOther).toBeLessThan(lastMine);
    expect(await log.verify("race")).toMatchObject({ ok: true, checked: 150, checkpointsVerified: 30 });
  });

  it("records events from the bus through the service, once each", async () => {
    const audit = await startAudit(backend.tc);
    try {
      const events = Array.from({ length: 4 }, () => event({ tenant: "bus" }));
      await publishAll(audit, [...events, events[0]!], "bus");
      const verified = await audit.client.verifyAuditChain({}, ctx("bus"));
      expect(verified).toMatchObject({ ok: true, checked: 4, headSeq: 4 });
      expect(verified.firstBroken).toBeUndefined();
    } finally {
      await audit.stop();
    }
  });
});
