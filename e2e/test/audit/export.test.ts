import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "../http.js";
import { MODES, type Stack, startStack } from "../stack.js";
import { type AuditItem, auditAll, csvRows, latchflow, recorded, verifyFile } from "./helpers.js";

interface Ids {
  id: string;
}
interface Checkpoints {
  publicKey: { keyId: string; algorithm: string; pem: string };
  items: { tenant: string; seq: number; hash: string; signedAt: string; keyId: string; signature: string }[];
  nextCursor: string | null;
}

describe.each(MODES)("audit query, export and verification over HTTP on %s + %s", (dialect, bus) => {
  let s: Stack;
  let dir: string;
  const tricky = `Smith, "Family" archive ${randomBytes(2).toString("hex")}`;
  let bundle: Ids;
  let recipient: Ids;
  let assignment: Ids;
  let startedAt: string;

  beforeAll(async () => {
    s = await startStack(dialect, bus, "audit_exp", { LATCHFLOW_AUDIT_CHECKPOINT_EVERY: "5" });
    dir = mkdtempSync(join(tmpdir(), "lf-audit-"));
    startedAt = new Date().toISOString();
    bundle = (await s.api("POST", "/api/v1/bundles", { json: { name: tricky } })).body as Ids;
    for (const n of ["x1", "x2", "x3"])
      await s.api("POST", "/api/v1/bundles", { json: { name: `${n}-${randomBytes(2).toString("hex")}` } });
    recipient = (
      await s.api("POST", "/api/v1/recipients", {
        json: { email: `r-${randomBytes(3).toString("hex")}@example.com` },
      })
    ).body as Ids;
    assignment = (
      await s.api("POST", `/api/v1/bundles/${bundle.id}/assignments`, { json: { recipientId: recipient.id } })
    ).body as Ids;
    await recorded(s, "bundles.assignment.created", (r) => r.subjectIds.assignmentId === assignment.id);
    await recorded(s, "auth.recipient.created", (r) => r.subjectIds.recipientId === recipient.id);
  });
  afterAll(async () => {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("filters by type, bundle, recipient, assignment, actor and time; refuses bad values", async () => {
    const ids = async (q: string) => (await auditAll(s, q)).map((r) => r.id);
    const all = await auditAll(s);
    const byBundle = await auditAll(s, `bundle=${bundle.id}`);
    expect(byBundle.map((r) => r.type).sort()).toEqual([
      "bundles.assignment.created",
      "bundles.bundle.created",
    ]);
    expect(await ids(`type=bundles.bundle.created`)).toEqual(
      all.filter((r) => r.type === "bundles.bundle.created").map((r) => r.id),
    );
    expect((await auditAll(s, "type=bundles.")).every((r) => r.type.startsWith("bundles."))).toBe(true);
    expect(await ids(`recipient=${recipient.id}`)).toEqual(
      all.filter((r) => r.subjectIds.recipientId === recipient.id).map((r) => r.id),
    );
    expect((await auditAll(s, `assignment=${assignment.id}`)).map((r) => r.type)).toEqual([
      "bundles.assignment.created",
    ]);
    const owner = all.find((r) => r.type === "bundles.bundle.created")!.actor;
    expect(await ids(`actor=user:${owner.id}`)).toEqual(
      all.filter((r) => r.actor.kind === "user" && r.actor.id === owner.id).map((r) => r.id),
    );
    expect(await ids("actor=recipient")).toEqual([]);
    const first = all.at(-1)!;
    expect(await ids(`to=${encodeURIComponent(first.occurredAt)}`)).toEqual(
      all.filter((r) => r.occurredAt < first.occurredAt).map((r) => r.id),
    );
    expect(await ids(`from=${encodeURIComponent(startedAt)}&type=bundles.bundle.`)).toHaveLength(4);
    expect(await ids(`from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z`)).toEqual([]);

    const get = (q: string) => s.api("GET", `/api/v1/audit?${q}`);
    expectError(await get("bundle=a%20b"), 422, "validation_failed");
    expectError(await get("actor=robot:1"), 422, "validation_failed");
    expectError(await get("from=yesterday"), 422, "validation_failed");
    expectError(await get("from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z"), 422, "validation_failed");
    expectError(await get("colour=red"), 422, "validation_failed");
    expectError(await get("limit=0"), 422, "validation_failed");
    expectError(await get("cursor=not-a-cursor"), 400, "bad_request");
    expectError(await s.api("GET", "/api/v1/audit/export?format=xml"), 422, "validation_failed");
  });

  it("verifies the chain, lists signed checkpoints with the public key, and signs one on demand", async () => {
    const log = await auditAll(s);
    const verified = await s.api("GET", "/api/v1/audit/verify");
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body).toMatchObject({
      ok: true,
      checked: log.length,
      head: { seq: log.length, hash: log[0]!.hash },
    });
    const cps = (await s.api("GET", "/api/v1/audit/checkpoints")).body as Checkpoints;
    expect(cps.publicKey).toMatchObject({
      algorithm: "ed25519",
      pem: expect.stringContaining("BEGIN PUBLIC KEY"),
    });
    expect(cps.items.length).toBe(Math.floor(log.length / 5));
    for (const c of cps.items) {
      expect(c.seq % 5).toBe(0);
      expect(c.hash).toBe(log.find((r) => r.seq === c.seq)!.hash);
      expect(c.keyId).toBe(cps.publicKey.keyId);
    }
    const signed = await s.api("POST", "/api/v1/audit/checkpoints");
    const head = (await auditAll(s))[0]!;
    if (head.seq % 5 === 0) expect(signed.status).toBe(200);
    else expect(signed.status, signed.text).toBe(201);
    expect(signed.body).toMatchObject({ seq: head.seq, hash: head.hash });
    expect((await s.api("POST", "/api/v1/audit/checkpoints")).status).toBe(200);
  });

  it("exports NDJSON oldest first with header and checkpoints; the offline verifier checks it and names tampering", async () => {
    await s.api("POST", "/api/v1/audit/checkpoints");
    const res = await fetch(`${s.base}/api/v1/audit/export`, {
      headers: { authorization: `Bearer ${s.env.LATCHFLOW_BOOTSTRAP_TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    expect(res.headers.get("content-disposition")).toMatch(
      /^attachment; filename="audit-default-\d{4}-\d{2}-\d{2}\.ndjson"$/,
    );
    const text = await res.text();
    const lines = text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const log = await auditAll(s);
    const cps = (await s.api("GET", "/api/v1/audit/checkpoints")).body as Checkpoints;
    expect(lines[0]).toMatchObject({
      kind: "header",
      format: "latchflow-audit-export",
      version: 1,
      tenant: "default",
      head: { seq: log[0]!.seq, hash: log[0]!.hash },
      complete: true,
      filters: {},
      publicKey: cps.publicKey,
    });
    const checkpointLines = lines.filter((l) => l.kind === "checkpoint");
    expect(checkpointLines.map((c) => c.seq)).toEqual(cps.items.map((c) => c.seq).reverse());
    const records = lines
      .filter((l) => l.kind === "record")
      .map(({ kind: _k, ...r }) => r as unknown as AuditItem);
    expect(records).toEqual([...log].reverse());
    expect(lines.findIndex((l) => l.kind === "record")).toBeGreaterThan(
      lines.findLastIndex((l) => l.kind === "checkpoint"),
    );

    const file = join(dir, "export.ndjson");
    const key = join(dir, "key.pem");
    writeFileSync(file, text);
    writeFileSync(key, cps.publicKey.pem);
    const ok = await verifyFile(file, key, 5);
    expect(ok.output).toContain(`OK, ${log.length} record(s) checked`);
    expect(ok.code).toBe(0);

    // one record's data edited in the file
    const victim = records[2]!;
    const tampered = text.replace(
      JSON.stringify(victim.data),
      JSON.stringify({ ...victim.data, forged: true }),
    );
    expect(tampered).not.toBe(text);
    writeFileSync(join(dir, "tampered.ndjson"), tampered);
    const bad = await verifyFile(join(dir, "tampered.ndjson"), key, 5);
    expect(bad.code).toBe(1);
    expect(bad.output).toContain(`BROKEN at seq ${victim.seq} (record ${victim.id}): hash_mismatch`);

    // one record removed from the file
    writeFileSync(
      join(dir, "gap.ndjson"),
      text
        .split("\n")
        .filter((l) => !l.includes(`"id":"${records[4]!.id}"`))
        .join("\n"),
    );
    const gap = await verifyFile(join(dir, "gap.ndjson"), key, 5);
    expect(gap.code).toBe(1);
    expect(gap.output).toContain(`BROKEN at seq ${records[4]!.seq}: gap`);

    // another key (e.g. a forger's): nothing in the file is signed by it
    const otherKey = join(dir, "other.pem");
    writeFileSync(
      otherKey,
      String(generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" })),
    );
    const foreign = await verifyFile(file, otherKey, 5);
    expect(foreign.code).toBe(1);
    expect(foreign.output).toContain("no signed checkpoint verified");
    expect(foreign.output).toContain("No checkpoint in the export is signed by key");
  });

  it("exports CSV with every field escaped, and filtered exports say they are incomplete", async () => {
    const res = await fetch(`${s.base}/api/v1/audit/export?format=csv&bundle=${bundle.id}`, {
      headers: { authorization: `Bearer ${s.env.LATCHFLOW_BOOTSTRAP_TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const rows = csvRows(await res.text());
    expect(rows[0]).toEqual([
      "seq",
      "id",
      "occurredAt",
      "recordedAt",
      "type",
      "actorKind",
      "actorId",
      "subjectIds",
      "requestId",
      "data",
      "prevHash",
      "hash",
    ]);
    const expected = (await auditAll(s, `bundle=${bundle.id}`)).reverse();
    expect(rows.slice(1)).toHaveLength(expected.length);
    rows.slice(1).forEach((row, i) => {
      const r = expected[i]!;
      expect(row).toEqual([
        String(r.seq),
        r.id,
        r.occurredAt,
        r.recordedAt,
        r.type,
        r.actor.kind,
        r.actor.id,
        JSON.stringify(r.subjectIds),
        r.requestId ?? "",
        JSON.stringify(r.data),
        r.prevHash,
        r.hash,
      ]);
    });
    expect(JSON.parse(rows[1]![9]!)).toMatchObject({ name: tricky });

    const nd = await fetch(`${s.base}/api/v1/audit/export?type=bundles.&recipient=${recipient.id}`, {
      headers: { authorization: `Bearer ${s.env.LATCHFLOW_BOOTSTRAP_TOKEN}` },
    });
    const lines = (await nd.text())
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string; type?: string });
    expect(lines[0]).toMatchObject({
      kind: "header",
      complete: false,
      filters: { type: "bundles.", recipient: recipient.id },
    });
    expect(lines.filter((l) => l.kind === "record").map((l) => l.type)).toEqual([
      "bundles.assignment.created",
    ]);
  });

  it("latchflow audit verify, checkpoint and public-key work against the running stack's database", async () => {
    const verify = await latchflow(s, ["audit", "verify"]);
    expect(verify.stdout).toMatch(/tenant default: OK, \d+ record\(s\) checked/);
    expect(verify.code, verify.stderr).toBe(0);
    const key = await latchflow(s, ["audit", "public-key"]);
    expect(key.code, key.stderr).toBe(0);
    const cps = (await s.api("GET", "/api/v1/audit/checkpoints")).body as Checkpoints;
    expect(`${key.stdout.trim()}\n`).toBe(cps.publicKey.pem);
    const cp = await latchflow(s, ["audit", "checkpoint"]);
    expect(cp.code, cp.stderr).toBe(0);
    expect(cp.stdout).toMatch(/signed: tenant default seq \d+/);
    expect((await latchflow(s, ["audit", "nope"])).code).toBe(2);
    const file = join(dir, "export.ndjson");
    expect(readFileSync(file, "utf8").length).toBeGreaterThan(0);
  });
});
