import { generateKeyPairSync } from "node:crypto";
import { chmodSync, statSync } from "node:fs";
import { auditV1 } from "@latchflow/proto";
import { loadConfig } from "@latchflow/runtime";
import { TEST_DIALECTS } from "@latchflow/runtime/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadSigner, signingKeyPath } from "../src/signing.js";
import { type Backend, createBackend, ctx, event, logger, type RunningAudit, startAudit } from "./harness.js";

/** Every message of an ExportEvents call; `afterHeader` runs once the header arrived. */
async function exportAll(
  audit: RunningAudit,
  filter: Partial<auditV1.AuditFilter> = {},
  tenant = "default",
  afterHeader: () => Promise<void> = async () => {},
) {
  const { metadata, options } = audit.client.$callOptions(ctx(tenant));
  const call = audit.client.$raw.exportEvents(
    { filter: auditV1.AuditFilter.fromPartial(filter) },
    metadata,
    options,
  );
  const messages: auditV1.ExportEventsResponse[] = [];
  for await (const m of call as AsyncIterable<auditV1.ExportEventsResponse>) {
    messages.push(m);
    if (messages.length === 1) await afterHeader();
  }
  return messages;
}

describe.each(TEST_DIALECTS)("audit service on %s", (dialect) => {
  let backend: Backend;
  let audit: RunningAudit;

  beforeAll(async () => {
    backend = await createBackend(dialect, inject("pgUrl"));
    // records stored before the chain existed (migration 0001's table) are chained at start, oldest first
    const log = await backend.openLog();
    for (const [i, id] of ["01J00000000000000000000002", "01J00000000000000000000001"].entries()) {
      await backend.sql(
        "audit_records",
        `INSERT INTO {t} (id, tenant, type, occurred_at, recorded_at, actor_kind, actor_id, subject_ids, request_id, data)
         VALUES (?, 'legacy', 'bundles.bundle.created', ?, ?, 'user', 'U1', ?, '', ?)`,
        [
          id,
          ...[new Date(Date.UTC(2029, 0, 1, i)), new Date()].map((d) =>
            dialect === "sqlite" ? d.getTime() : d,
          ),
          JSON.stringify({ bundleId: `B${i}` }),
          JSON.stringify({ bundleId: `B${i}`, name: `n${i}` }),
        ],
      );
    }
    await log.db.close();
    audit = await startAudit(backend.tc);
  });
  afterAll(async () => {
    await audit?.stop();
    await backend?.cleanup();
  });

  it("chains the records of the pre-chain table at start and empties it", async () => {
    const res = await audit.client.listEvents({ page: { cursor: "", limit: 10 } }, ctx("legacy"));
    expect(res.records.map((r) => [r.seq, r.id, r.subjectIds.bundleId])).toEqual([
      [2, "01J00000000000000000000002", "B0"],
      [1, "01J00000000000000000000001", "B1"],
    ]);
    expect(await backend.sql("audit_records", "SELECT id FROM {t}")).toEqual([]);
    expect(await audit.client.verifyAuditChain({}, ctx("legacy"))).toMatchObject({ ok: true, checked: 2 });
  });

  it("exports the header, the checkpoints, then every record oldest first in several messages", async () => {
    const log = await backend.openLog();
    const events = Array.from({ length: 1203 }, (_, i) =>
      event({ tenant: "exp", subjectIds: i % 100 === 0 ? { bundleId: "HOT" } : { bundleId: `b${i}` } }),
    );
    for (let i = 0; i < events.length; i += 400) await log.append(events.slice(i, i + 400));
    // appended once the export started: not part of it (the head is fixed at the start)
    const messages = await exportAll(audit, {}, "exp", async () => {
      await log.append([event({ tenant: "exp" }), event({ tenant: "exp" })]);
    });
    const header = messages[0]!.header!;
    expect(header).toMatchObject({ tenant: "exp", headSeq: 1203, complete: true });
    expect(header.publicKey).toEqual({
      keyId: log.publicKey.keyId,
      algorithm: "ed25519",
      pem: log.publicKey.pem,
    });
    const checkpoints = messages.flatMap((m) => m.checkpoints);
    expect(checkpoints.map((c) => c.seq)).toEqual(Array.from({ length: 240 }, (_, i) => (i + 1) * 5));
    const firstRecords = messages.findIndex((m) => m.records.length > 0);
    expect(messages.findLastIndex((m) => m.checkpoints.length > 0)).toBeLessThan(firstRecords);
    const records = messages.flatMap((m) => m.records);
    expect(records.map((r) => r.id)).toEqual(events.map((e) => e.id));
    expect(messages.filter((m) => m.records.length > 0).length).toBeGreaterThan(2);

    const hot = await exportAll(audit, { bundleId: "HOT" }, "exp");
    expect(hot[0]!.header).toMatchObject({ complete: false, headSeq: 1205 });
    expect(hot.flatMap((m) => m.records).map((r) => r.seq)).toEqual(
      Array.from({ length: 13 }, (_, i) => i * 100 + 1),
    );
    await expect(exportAll(audit, { actorKind: "robot" }, "exp")).rejects.toMatchObject({ code: 3 });
  });

  it("pages checkpoints newest first with the public key, and signs one on demand", async () => {
    const log = await backend.openLog();
    const first = await audit.client.listCheckpoints({ page: { cursor: "", limit: 100 } }, ctx("exp"));
    expect(first.publicKey?.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(first.checkpoints.map((c) => c.seq).slice(0, 2)).toEqual([1205, 1200]);
    const second = await audit.client.listCheckpoints(
      { page: { cursor: first.page!.nextCursor, limit: 100 } },
      ctx("exp"),
    );
    expect(second.checkpoints[0]!.seq).toBe(705);
    await log.append([event({ tenant: "exp" })]);
    const created = await audit.client.createCheckpoint({}, ctx("exp"));
    expect(created).toMatchObject({ created: true, checkpoint: { seq: 1206 } });
    await expect(audit.client.createCheckpoint({}, ctx("empty"))).rejects.toMatchObject({ code: "conflict" });
  });
});

describe("the checkpoint signing key", () => {
  it("comes from LATCHFLOW_AUDIT_SIGNING_KEY (PEM or base64 DER), or a 0600 key file made once", async () => {
    const backend = await createBackend("sqlite", "");
    try {
      const file = loadSigner(backend.tc.config, logger);
      const path = signingKeyPath(backend.tc.config.dataDir);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(loadSigner(backend.tc.config, logger).publicKey.keyId).toBe(file.publicKey.keyId);
      chmodSync(path, 0o644);
      expect(() => loadSigner(backend.tc.config, logger)).toThrow(/mode 0644.*chmod 600/);

      const { privateKey } = generateKeyPairSync("ed25519");
      const pem = String(privateKey.export({ type: "pkcs8", format: "pem" }));
      const der = privateKey.export({ type: "pkcs8", format: "der" }).toString("base64");
      const fromPem = loadSigner(loadConfig({ ...backend.tc.env, LATCHFLOW_AUDIT_SIGNING_KEY: pem }), logger);
      const fromDer = loadSigner(loadConfig({ ...backend.tc.env, LATCHFLOW_AUDIT_SIGNING_KEY: der }), logger);
      expect(fromPem.publicKey.keyId).toBe(fromDer.publicKey.keyId);
      expect(fromPem.source).toBe("env");
      expect(fromPem.publicKey.keyId).not.toBe(file.publicKey.keyId);

      const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({
        type: "pkcs8",
        format: "pem",
      });
      for (const bad of ["not a key", String(rsa)]) {
        expect(() => loadConfig({ LATCHFLOW_AUDIT_SIGNING_KEY: bad })).toThrow(/LATCHFLOW_AUDIT_SIGNING_KEY/);
        expect(() => loadConfig({ LATCHFLOW_AUDIT_SIGNING_KEY: bad })).not.toThrow(/not a key|PRIVATE/);
      }
      expect(() => loadConfig({ LATCHFLOW_AUDIT_CHECKPOINT_EVERY: "0" })).toThrow(
        /LATCHFLOW_AUDIT_CHECKPOINT_EVERY/,
      );
    } finally {
      await backend.cleanup();
    }
  });
});
