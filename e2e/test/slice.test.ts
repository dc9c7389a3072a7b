import { readFileSync } from "node:fs";
import { createClient, operations } from "@latchflow/api";
import { type Started, startEmbedded } from "@latchflow/cli";
import { createLogger } from "@latchflow/runtime";
import { createTestConfig, type TestBus, type TestDialect } from "@latchflow/runtime/testing";
import { deleteNatsStream, dropSchemas, uniqueName, waitFor } from "@latchflow/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { expectError, http } from "./http.js";

const TOKEN = "test-bootstrap-token-0123456789abcdef";
const modes: [TestDialect, TestBus][] = [
  ["sqlite", "in-process"],
  ["postgres", "nats"],
];

describe.each(modes)("vertical slice in one process on %s + %s bus", (dialect, bus) => {
  const name = uniqueName("slice");
  const tc = createTestConfig({
    dialect,
    bus,
    name,
    pgUrl: inject("pgUrl"),
    natsUrl: inject("natsUrl"),
    env: { LATCHFLOW_BOOTSTRAP_TOKEN: TOKEN, LATCHFLOW_BODY_LIMIT_BYTES: "4096" },
  });
  let stack: Started;
  let base: string;
  const printed: string[] = [];

  beforeAll(async () => {
    stack = await startEmbedded(tc.config, createLogger({ level: "silent" }), (l) => printed.push(l));
    base = stack.url!;
  });

  afterAll(async () => {
    await stack?.stop();
    if (dialect === "postgres") await dropSchemas(inject("pgUrl"), `${name}_`);
    if (bus === "nats") await deleteNatsStream(inject("natsUrl"), name.toUpperCase());
    tc.cleanup();
  });

  it("bootstraps the owner from LATCHFLOW_BOOTSTRAP_TOKEN without printing the secret", () => {
    expect(printed.join("\n")).toContain("owner@localhost");
    expect(printed.join("\n")).not.toContain(TOKEN);
  });

  it("creates a bundle, lists it, and the audit service records the event", async () => {
    const api = createClient({ baseUrl: base, token: TOKEN, validate: operations });
    const created = await api.raw.createBundle({
      body: { name: "Family archive", description: "for later" },
    });
    if (!created.ok) throw new Error(created.body.error.message);
    expect(created.status).toBe(201);
    const bundle = created.body;
    expect(bundle).toMatchObject({ name: "Family archive", description: "for later" });
    expect(bundle.id).toMatch(/^[0-9A-Z]{26}$/);

    const list = await api.listBundles();
    expect(list.items.map((b) => b.id)).toContain(bundle.id);

    const requestId = created.headers.get("x-request-id");
    const record = await waitFor(
      async () => {
        const page = await api.listAuditRecords({ query: { type: "bundles.bundle.created" } });
        return page.items.find((r) => r.subjectIds.bundleId === bundle.id);
      },
      { timeoutMs: 15_000, description: "the audit record of the new bundle" },
    );
    expect(record).toMatchObject({
      type: "bundles.bundle.created",
      actor: { kind: "user" },
      data: { bundleId: bundle.id, name: "Family archive" },
      requestId,
    });
  });

  it("pages bundles newest first with a cursor, without gaps or repeats", async () => {
    const api = createClient({ baseUrl: base, token: TOKEN, validate: operations });
    const ids: string[] = [];
    for (const n of ["p1", "p2", "p3", "p4", "p5"])
      ids.push((await api.createBundle({ body: { name: n } })).id);
    const seen: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const page = await api.listBundles({ query: { limit: 2, ...(cursor ? { cursor } : {}) } });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((b) => b.id));
      cursor = page.nextCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, 5)).toEqual([...ids].reverse());
  });

  it("audit lists newest first with cursor pagination", async () => {
    const api = createClient({ baseUrl: base, token: TOKEN, validate: operations });
    const all = await waitFor(
      async () => {
        const { items } = await api.listAuditRecords({ query: { type: "bundles.", limit: 200 } });
        return items.length >= 6 ? items : undefined;
      },
      { timeoutMs: 15_000, description: "six bundle events audited" },
    );
    const page1 = await api.listAuditRecords({ query: { type: "bundles.", limit: 4 } });
    expect(page1.items.map((r) => r.id)).toEqual(all.slice(0, 4).map((r) => r.id));
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await api.listAuditRecords({
      query: { type: "bundles.", limit: 4, cursor: page1.nextCursor ?? undefined },
    });
    expect(page2.items.map((r) => r.id)).toEqual(all.slice(4, 8).map((r) => r.id));
    const sorted = [...all.map((r) => r.id)].sort().reverse();
    expect(all.map((r) => r.id)).toEqual(sorted);
  });

  it("answers bad input with the documented status and error shape", async () => {
    const post = (opts: Parameters<typeof http>[3]) =>
      http(base, "POST", "/api/v1/bundles", { token: TOKEN, ...opts });
    expectError(
      await post({ body: '{"name": "x",', headers: { "content-type": "application/json" } }),
      400,
      "bad_request",
    );
    expectError(await post({ json: { name: "ok", colour: "red" } }), 422, "validation_failed");
    expectError(await post({ json: { description: "no name" } }), 422, "validation_failed");
    expectError(await post({ json: { name: "   " } }), 422, "validation_failed");
    expectError(await post({ json: { name: 42 } }), 422, "validation_failed");
    expectError(await post({ json: ["name"] }), 422, "validation_failed");
    expectError(
      await post({ body: "name=x", headers: { "content-type": "text/plain" } }),
      415,
      "unsupported_media_type",
    );
    expectError(await http(base, "POST", "/api/v1/bundles", { json: { name: "x" } }), 401, "unauthenticated");
    expectError(
      await http(base, "POST", "/api/v1/bundles", { token: "lf_nope_nope", json: { name: "x" } }),
      401,
      "unauthenticated",
    );
    expectError(
      await http(base, "GET", "/api/v1/bundles", { headers: { authorization: "Basic abc" } }),
      401,
      "unauthenticated",
    );
    expectError(await http(base, "GET", "/api/v1/nothing-here", { token: TOKEN }), 404, "not_found");
    expectError(await http(base, "DELETE", "/api/v1/bundles", { token: TOKEN }), 405, "method_not_allowed");
  });

  it("answers well-formed calls it refuses with the documented status and error shape", async () => {
    const api = createClient({ baseUrl: base, token: TOKEN, validate: operations });
    const tooLong = await api.raw.createBundle({ body: { name: "x".repeat(5000) } });
    expectError(tooLong, 413, "payload_too_large");
    expectError(await api.raw.createBundle({ body: { name: "Family archive" } }), 409, "conflict");
    expectError(await api.raw.listBundles({ query: { cursor: "not-a-cursor" } }), 400, "bad_request");
    expectError(await api.raw.listBundles({ query: { limit: 0 } }), 422, "validation_failed");
    expectError(await api.raw.listAuditRecords({ query: { type: "DROP TABLE" } }), 422, "validation_failed");
    const missing = await api.getBundle({ params: { id: "01J00000000000000000000000" } }).catch((e) => e);
    expectError(missing, 404, "not_found");
  });

  it("keeps the caller's request id and sets security headers", async () => {
    const res = await http(base, "GET", "/api/v1/bundles", {
      token: TOKEN,
      headers: { "x-request-id": "trace-me-123" },
    });
    expect(res.headers.get("x-request-id")).toBe("trace-me-123");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const bad = await http(base, "GET", "/healthz", { headers: { "x-request-id": "bad id with spaces" } });
    expect(bad.headers.get("x-request-id")).toMatch(/^[0-9A-Z]{26}$/);
  });

  it("serves liveness, readiness of every dependency, and the OpenAPI document", async () => {
    const api = createClient({ baseUrl: base, validate: operations });
    expect(await api.getHealth()).toEqual({ status: "ok" });
    const ready = await api.raw.getReadiness();
    expect(ready.status, JSON.stringify(ready.body)).toBe(200);
    if (!ready.ok) throw new Error("not ready");
    expect(Object.keys(ready.body.checks).sort()).toEqual(["audit", "auth", "bundles", "kernel", "storage"]);
    // the contract's document, exactly as committed (api/openapi.json, kept current by `pnpm openapi:check`)
    const doc = await api.getOpenApi();
    const committed = readFileSync(new URL("../../api/openapi.json", import.meta.url), "utf8");
    expect(doc).toEqual(JSON.parse(committed));
    expect(doc).toMatchObject({
      openapi: "3.1.0",
      paths: { "/api/v1/bundles": { post: { operationId: "createBundle" } } },
    });
  });
});
