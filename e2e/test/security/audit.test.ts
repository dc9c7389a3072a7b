import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { schemas } from "@latchflow/api";
import { canonicalJson, openAuditDatabase, recordHash } from "@latchflow/audit";
import { createLogger } from "@latchflow/runtime";
import { sqlTable } from "@latchflow/runtime/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditAll, dataOf, recorded, verifyFile } from "../audit/helpers.js";
import { MODES, type Stack, startStack } from "../stack.js";

/** Promises of the audit log about its signed checkpoints (issue 10). */

const EVERY = 5;

/** The records from `seq` on, with `seq`'s data forged and every later hash recomputed (oldest first). */
function rewrite(records: schemas.AuditRecord[], seq: number): schemas.AuditRecord[] {
  const out: schemas.AuditRecord[] = [];
  let prev = records.find((r) => r.seq === seq - 1)!.hash;
  for (const r of records.filter((x) => x.seq >= seq)) {
    const data = r.seq === seq ? { ...dataOf(r), forged: true } : r.data;
    const hash = recordHash(prev, {
      tenant: r.tenant,
      seq: r.seq,
      id: r.id,
      type: r.type,
      occurredAt: new Date(r.occurredAt),
      recordedAt: new Date(r.recordedAt),
      actor: r.actor,
      subjectIds: r.subjectIds,
      requestId: r.requestId ?? "",
      data,
    });
    out.push({ ...r, data, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

describe.each(MODES)("audit checkpoints on %s + %s", (dialect, bus) => {
  let s: Stack;
  let dir: string;
  let records: schemas.AuditRecord[];

  beforeAll(async () => {
    s = await startStack(dialect, bus, "sec_audit", { LATCHFLOW_AUDIT_CHECKPOINT_EVERY: String(EVERY) });
    dir = mkdtempSync(join(tmpdir(), "lf-sec-audit-"));
    for (let i = 0; i < 12; i++) {
      const b = await s.client().createBundle({ body: { name: `cp-${dialect}-${i}` } });
      await recorded(s, "bundles.bundle.created", (r) => r.subjectIds.bundleId === b.id);
    }
    records = (await auditAll(s)).reverse();
    expect(records.length).toBeGreaterThanOrEqual(12);
  });
  afterAll(async () => {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("deleting checkpoints does not make a rewritten chain verify OK again (offline: an export with a missing checkpoint fails)", async () => {
    const api = s.client();
    const text = await (await api.exportAuditRecords()).text();
    const key = join(dir, "key.pem");
    const { publicKey } = await api.listAuditCheckpoints();
    writeFileSync(key, publicKey.pem);
    const lines = text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // the header line names the chain's head as the verification does
    const head = schemas.AuditVerification.shape.head.parse(lines[0]?.head);
    const exported = lines
      .filter((l) => l.kind === "record")
      .map(({ kind: _k, ...r }) => schemas.AuditRecord.parse(r));
    expect(exported.length).toBe(head.seq);

    const intact = join(dir, "intact.ndjson");
    writeFileSync(intact, text);
    expect((await verifyFile(intact, key, EVERY)).code).toBe(0);

    // record 7 forged, every later hash and the head recomputed, the checkpoint at 10 dropped (5 stays valid)
    const forged = new Map(rewrite(exported, 7).map((r) => [r.seq, r]));
    const tampered = lines
      .filter((l) => !(l.kind === "checkpoint" && l.seq === 2 * EVERY))
      .map((l) => {
        if (l.kind === "header") return { ...l, head: { seq: head.seq, hash: forged.get(head.seq)!.hash } };
        if (l.kind === "record" && forged.has(l.seq as number))
          return { kind: "record", ...forged.get(l.seq as number) };
        return l;
      })
      .map((l) => JSON.stringify(l))
      .join("\n");
    const file = join(dir, "tampered.ndjson");
    writeFileSync(file, `${tampered}\n`);
    const r = await verifyFile(file, key, EVERY);
    expect(r.output).toContain(`BROKEN at seq ${2 * EVERY}`);
    expect(r.output).toContain("checkpoint_missing");
    expect(r.code).toBe(1);
  });

  it("deleting checkpoints does not make a rewritten chain verify OK again (online: a checkpoint row deleted in the database)", async () => {
    const before = await s.client().verifyAuditChain();
    expect(before).toMatchObject({ ok: true });
    const head = before.head.seq;
    // records after the last expected checkpoint are reported, not failed
    const last = head - (head % EVERY);
    expect(before).toMatchObject({
      checkpoints: {
        anchoredSeq: last,
        notYetCheckpointed: head > last ? { from: last + 1, to: head } : null,
      },
    });
    const all = (await auditAll(s)).reverse().filter((r) => r.seq <= head);
    const forged = rewrite(all, 7);
    const db = await openAuditDatabase(s.config, createLogger({ level: "silent" }));
    try {
      const run = (table: string, sql: string, params: unknown[]) =>
        db
          .em()
          .getConnection()
          .execute(sql.replaceAll("{t}", sqlTable(db, table)), params);
      for (const r of forged)
        await run("audit_log", "UPDATE {t} SET data = ?, prev_hash = ?, hash = ? WHERE id = ?", [
          canonicalJson(r.data),
          r.prevHash,
          r.hash,
          r.id,
        ]);
      await run("audit_chain_heads", "UPDATE {t} SET hash = ? WHERE tenant = ? AND seq = ?", [
        forged.at(-1)!.hash,
        "default",
        head,
      ]);
      await run("audit_checkpoints", "DELETE FROM {t} WHERE tenant = ? AND seq >= ?", ["default", 7]);
    } finally {
      await db.close();
    }
    expect(await s.client().verifyAuditChain()).toMatchObject({
      ok: false,
      firstBroken: { seq: 2 * EVERY, reason: "checkpoint_missing" },
      checkpoints: { anchoredSeq: EVERY },
    });
  });
});
