import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  buildOpenApi,
  defineOperation,
  ErrorBody,
  type Operation,
  operations,
  responsesOf,
  Scope,
  standardResponsesOf,
} from "../src/index.js";

const all = Object.values(operations) as Operation[];
const doc = buildOpenApi(all, { version: "1.2.3" });

function op(over: Partial<Operation>): Operation {
  return defineOperation({
    method: "get",
    path: "/x",
    operationId: "getX",
    summary: "Get x",
    tag: "bundles",
    access: { kind: "public" },
    responses: { 200: { description: "ok" } },
    ...over,
  });
}

function only(o: Operation) {
  const built = buildOpenApi([o], { version: "0" });
  const item = Object.values(built.paths)[0] ?? {};
  return { built, operation: item[o.method] as Record<string, unknown> };
}

describe("standard responses (responsesOf)", () => {
  it("follow how the gateway serves the operation", () => {
    const statuses = (o: Operation) => Object.keys(standardResponsesOf(o)).map(Number);
    expect(statuses(op({}))).toEqual([422, 500, 503, 504]);
    expect(statuses(op({ access: { kind: "any-user" } }))).toEqual([401, 403, 422, 500, 503, 504]);
    expect(statuses(op({ method: "post", body: z.object({}) }))).toEqual([400, 413, 415, 422, 500, 503, 504]);
    // a POST without a body schema still has its body parsed: malformed or oversized bodies are refused
    expect(statuses(op({ method: "post", rateLimited: true }))).toEqual([400, 413, 422, 429, 500, 503, 504]);
  });

  it("give way to what the operation declares", () => {
    const own = { description: "No grant for one of the files", schema: ErrorBody };
    const o = op({ access: { kind: "any-user" }, responses: { 200: { description: "ok" }, 403: own } });
    expect(responsesOf(o)[403]).toBe(own);
    expect(responsesOf(o)[401]?.schema).toBe(ErrorBody);
  });
});

describe("OpenAPI document", () => {
  it("has every operation of the contract, under its path with {param} syntax", () => {
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((o) => o.operationId));
    expect(ids.sort()).toEqual(all.map((o) => o.operationId).sort());
    expect(doc.paths["/api/v1/bundles/{id}"]?.get?.operationId).toBe("getBundle");
  });

  it("states who may call each operation", () => {
    const create = doc.paths["/api/v1/bundles"]?.post;
    expect(create?.security).toEqual([
      { bearer: [Scope.BundlesWrite] },
      { userSession: [Scope.BundlesWrite], userCsrf: [] },
    ]);
    expect(doc.paths["/api/v1/bundles"]?.get?.security).toEqual([
      { bearer: [Scope.BundlesRead] },
      { userSession: [Scope.BundlesRead] },
    ]);
    expect(only(op({})).operation.security).toEqual([]);
    expect(only(op({ method: "delete", access: { kind: "recipient" } })).operation.security).toEqual([
      { recipientSession: [], recipientCsrf: [] },
    ]);
    expect(only(op({ access: { kind: "signed-in" } })).operation.security).toEqual([
      { bearer: [] },
      { userSession: [] },
      { recipientSession: [] },
    ]);
  });

  it("declares only the security schemes and standard responses it uses", () => {
    const used = new Set(
      Object.values(doc.paths).flatMap((item) =>
        Object.values(item).flatMap((o) => (o.security as object[]).flatMap((r) => Object.keys(r))),
      ),
    );
    expect(Object.keys(doc.components.securitySchemes)).toEqual([...used].sort());
    expect(doc.components.securitySchemes.userSession).toMatchObject({ in: "cookie", name: "lf_session" });
    expect(doc.components.securitySchemes.userCsrf).toMatchObject({ in: "header", name: "X-CSRF-Token" });
    const { built } = only(op({ access: { kind: "recipient" } }));
    expect(Object.keys(built.components.securitySchemes)).toEqual(["recipientSession"]);
    expect(Object.keys(built.components.responses)).toEqual([
      "DeadlineExceeded",
      "Internal",
      "PermissionDenied",
      "Unauthenticated",
      "Unavailable",
      "ValidationFailed",
    ]);
  });

  it("gives every operation a 4xx answer and refers to standard answers by name", () => {
    for (const item of Object.values(doc.paths)) {
      for (const o of Object.values(item)) {
        const statuses = Object.keys(o.responses as object).map(Number);
        expect(statuses.some((s) => s >= 400 && s < 500)).toBe(true);
      }
    }
    const own = { description: "No such x", schema: ErrorBody };
    const { operation } = only(
      op({ access: { kind: "any-user" }, responses: { 200: { description: "ok" }, 404: own } }),
    );
    const responses = operation.responses as Record<string, unknown>;
    expect(responses["401"]).toEqual({ $ref: "#/components/responses/Unauthenticated" });
    expect(responses["404"]).toMatchObject({ description: "No such x" });
  });

  it("lists the tags in use, each with a description", () => {
    expect(doc.tags.map((t) => t.name)).toEqual([...new Set(all.map((o) => o.tag))].sort());
    for (const t of doc.tags) expect(t.description, t.name).not.toBe("");
  });

  it("describes bodies the handler reads itself, and answers in two media", () => {
    const { operation } = only(
      op({
        method: "post",
        bodyTypes: ["csv", "json"],
        responses: { 200: { description: "Rows", media: "text/csv", schema: z.array(z.string()) } },
      }),
    );
    expect(operation.requestBody).toEqual({
      required: true,
      content: { "text/csv": { schema: { type: "string" } }, "application/json": { schema: {} } },
    });
    expect(
      Object.keys((operation.responses as Record<string, { content: object }>)["200"]?.content ?? {}),
    ).toEqual(["application/json", "text/csv"]);
  });

  it("refuses operationIds a code generator cannot use, duplicates and undeclared tags", () => {
    expect(() => buildOpenApi([op({ operationId: "get_x" })], { version: "0" })).toThrow(/camelCase/);
    expect(() => buildOpenApi([op({ operationId: "GetX" })], { version: "0" })).toThrow(/camelCase/);
    expect(() => buildOpenApi([op({}), op({ path: "/y" })], { version: "0" })).toThrow(
      /duplicate operationId/,
    );
    expect(() => buildOpenApi([op({}), op({ operationId: "getY" })], { version: "0" })).toThrow(
      /two operations/,
    );
    expect(() => buildOpenApi([op({ tag: "nope" })], { version: "0" })).toThrow(/tag "nope"/);
    expect(() => buildOpenApi([op({ params: z.object({ id: z.string() }) })], { version: "0" })).toThrow(
      /path parameter id/,
    );
  });

  it("documents path parameters the operation does not validate", () => {
    const { operation } = only(op({ path: "/x/:key" }));
    expect(operation.parameters).toEqual([
      { name: "key", in: "path", required: true, schema: { type: "string" } },
    ]);
  });

  it("keeps a named schema's input form apart when it differs from its output form", () => {
    const Thing = z.object({ name: z.string(), size: z.number().default(0) }).meta({ id: "Thing" });
    const { built } = only(
      op({ method: "post", body: Thing, responses: { 201: { description: "Created", schema: Thing } } }),
    );
    expect(Object.keys(built.components.schemas)).toEqual(["Error", "Thing", "ThingInput"]);
    expect(built.components.schemas.Thing).toMatchObject({ required: ["name", "size"] });
    expect(built.components.schemas.ThingInput).toMatchObject({ required: ["name"] });
  });

  it("refuses two different schemas with one name", () => {
    const a = z.object({ a: z.string() }).meta({ id: "Same" });
    const b = z.object({ b: z.string() }).meta({ id: "Same" });
    const ops = [
      op({ responses: { 200: { description: "a", schema: a } } }),
      op({ operationId: "getY", path: "/y", responses: { 200: { description: "b", schema: b } } }),
    ];
    expect(() => buildOpenApi(ops, { version: "0" })).toThrow(/two different schemas are named "Same"/);
  });

  it("is the same document whatever the order of the operations", () => {
    const reversed = buildOpenApi([...all].reverse(), { version: "1.2.3" });
    expect(JSON.stringify(reversed)).toBe(JSON.stringify(doc));
    expect(Object.keys(doc.paths)).toEqual([...Object.keys(doc.paths)].sort());
  });
});
