import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalJson, openAuditDatabase, recordHash } from "@latchflow/audit";
import { createLogger, sqlTable } from "@latchflow/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuditItem, auditAll, recorded, verifyFile } from "../audit/helpers.js";
import { MODES, type Stack, startStack } from "../stack.js";

/** Promises of the audit log about its signed checkpoints (issue 10). */

const EVERY = 5;

/** The records from `seq` on, with `seq`'s data forged and every later hash recomputed (oldest first). */
function rewrite(records: AuditItem[], seq: number): AuditItem[] {
  const out: AuditItem[] = [];
  let prev = records.find((r) => r.seq === seq - 1)!.hash;
  for (const r of records.filter((x) => x.seq >= seq)) {
    const data = r.seq === seq ? { ...r.data, forged: true } : r.data;
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
  let records: AuditItem[];

  beforeAll(async () => {
    s = await startStack(dialect, bus, "sec_audit", { LATCHFLOW_AUDIT_CHECKPOINT_EVERY: String(EVERY) });
    dir = mkdtempSync(join(tmpdir(), "lf-sec-audit-"));
    for (let i = 0; i < 12; i++) {
      const b = (await s.api("POST", "/api/v1/bundles", { json: { name: `cp-${dialect}-${i}` } })).body as {
        id: string;
      };
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
    const res = await fetch(`${s.base}/api/v1/audit/export`, {
      headers: { authorization: `Bearer ${s.env.LATCHFLOW_BOOTSTRAP_TOKEN}` },
    });
    const text = await res.text();
    const key = join(dir, "key.pem");
    const { publicKey } = (await s.api("GET", "/api/v1/audit/checkpoints")).body as {
      publicKey: { pem: string };
    };
    writeFileSync(key, publicKey.pem);
    const lines = text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const header = lines[0] as { head: { seq: number } };
    const exported = lines.filter((l) => l.kind === "record") as unknown as AuditItem[];
    expect(exported.length).toBe(header.head.seq);

    const intact = join(dir, "intact.ndjson");
    writeFileSync(intact, text);
    expect((await verifyFile(intact, key, EVERY)).code).toBe(0);

    // record 7 forged, every later hash and the head recomputed, the checkpoint at 10 dropped (5 stays valid)
    const forged = new Map(rewrite(exported, 7).map((r) => [r.seq, r]));
    const tampered = lines
      .filter((l) => !(l.kind === "checkpoint" && l.seq === 2 * EVERY))
      .map((l) => {
        if (l.kind === "header")
          return { ...l, head: { seq: header.head.seq, hash: forged.get(header.head.seq)!.hash } };
        if (l.kind === "record" && forged.has(l.seq as number)) return { ...forged.get(l.seq as number) };
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
    const before = await s.api("GET", "/api/v1/audit/verify");
    expect(before.body).toMatchObject({ ok: true });
    const head = (before.body as { head: { seq: number } }).head.seq;
    // records after the last expected checkpoint are reported, not failed
    const last = head - (head % EVERY);
    expect(before.body).toMatchObject({
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
    const after = await s.api("GET", "/api/v1/audit/verify");
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({
      ok: false,
      firstBroken: { seq: 2 * EVERY, reason: "checkpoint_missing" },
      checkpoints: { anchoredSeq: EVERY },
    });
  });
});
