import type { AddressInfo } from "node:net";
import Router from "@koa/router";
import { defineOperation, ErrorBody, type Operation } from "@latchflow/api";
import { conflict, createLogger, ErrorCode, LatchflowError } from "@latchflow/runtime";
import Koa from "koa";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { GatewayClients } from "../src/clients.js";
import { contractCheck } from "../src/middleware/contract-check.js";
import { errorHandler } from "../src/middleware/error-handler.js";
import { requestId } from "../src/middleware/request-id.js";
import type { AnyRoute, RouteResult } from "../src/route.js";
import { mountRoutes } from "../src/router.js";

const Thing = z.object({ id: z.string(), name: z.string(), at: z.iso.datetime().nullable() });

function op(path: string, responses: Operation["responses"], method: Operation["method"] = "get"): Operation {
  return defineOperation({
    method,
    path,
    operationId: `test${path.replaceAll(/[^a-z]/g, "")}`,
    summary: "A test operation",
    tag: "bundles",
    access: { kind: "public" },
    responses,
  });
}

const thing = { 200: { description: "A thing", schema: Thing } } as const;
const page = { 200: { description: "A page", media: "text/html" } } as const;
const good = { id: "1", name: "one", at: new Date("2026-01-01T00:00:00Z") };

/** Each fake route answers what its handler returns or throws. */
const routes: [Operation, () => Promise<RouteResult>][] = [
  [op("/good", thing), async () => ({ status: 200, body: good })],
  [op("/wrong-type", thing), async () => ({ status: 200, body: { ...good, name: 42 } })],
  [op("/extra-field", thing), async () => ({ status: 200, body: { ...good, secret: "x" } })],
  [op("/undeclared-status", thing), async () => ({ status: 202, body: good })],
  [op("/undeclared-error", thing), async () => Promise.reject(conflict("Exists"))],
  [
    op("/declared-error", { ...thing, 409: { description: "Exists", schema: ErrorBody } }),
    async () => Promise.reject(conflict("Exists")),
  ],
  [
    op("/standard-error", thing),
    async () => Promise.reject(new LatchflowError(ErrorCode.Unavailable, "Down")),
  ],
  [op("/html-for-json", thing), async () => ({ status: 200, html: "<p>hi</p>" })],
  [op("/page", page), async () => ({ status: 200, html: "<p>hi</p>" })],
  [op("/json-for-page", page), async () => ({ status: 200, body: good })],
  [
    op("/zip", { 200: { description: "An archive", media: "application/zip" } }),
    async () => ({ status: 200 }),
  ],
  [
    op("/csv-or-json", { 200: { description: "Rows", media: "text/csv", schema: z.array(z.string()) } }),
    async () => ({ status: 200, body: ["a", "b"] }),
  ],
  [
    op("/no-body", { 204: { description: "Done" } }, "post"),
    async () => ({ status: 204, body: { done: true } }),
  ],
];

async function serve(check: boolean) {
  const lines: string[] = [];
  const logger = createLogger({ level: "error", destination: { write: (l: string) => lines.push(l) } });
  const app = new Koa();
  const router = new Router();
  mountRoutes(
    router,
    // built by hand: `implement` would refuse (in tsc) the wrong bodies these handlers answer on purpose
    routes.map(([o, handler]): AnyRoute => ({ ...o, handler })),
    {} as GatewayClients,
  );
  app.use(requestId());
  if (check) app.use(contractCheck(logger));
  app.use(errorHandler(logger));
  app.use(router.routes());
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (path: string, method = "GET") => {
    const res = await fetch(`${base}${path}`, { method });
    const text = await res.text();
    return { status: res.status, type: res.headers.get("content-type") ?? "", text };
  };
  return { get, lines, close: () => new Promise((r) => server.close(r)) };
}

describe("contract check (LATCHFLOW_CONTRACT_CHECK)", () => {
  let gw: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    gw = await serve(true);
  });
  afterAll(() => gw.close());
  beforeEach(() => {
    gw.lines.length = 0;
  });

  async function mismatch(path: string, method = "GET") {
    gw.lines.length = 0;
    const res = await gw.get(path, method);
    expect(res.status, res.text).toBe(500);
    const body = ErrorBody.parse(JSON.parse(res.text));
    expect(body.error.code).toBe("internal");
    const log = gw.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log).toEqual([expect.objectContaining({ msg: "response does not match the contract" })]);
    return { message: body.error.message, log: log[0] };
  }

  it("lets a response that matches its schema through, as the client sees it (dates as strings)", async () => {
    const res = await gw.get("/good");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ id: "1", name: "one", at: "2026-01-01T00:00:00.000Z" });
    expect(gw.lines).toEqual([]);
  });

  it("turns a body that breaks its schema into a 500 naming the operation, status and field", async () => {
    const { message, log } = await mismatch("/wrong-type");
    expect(message).toMatch(/^Response does not match the contract: testwrongtype 200: .*name: /);
    expect(log).toMatchObject({ operationId: "testwrongtype", status: 200, issues: [{ path: "name" }] });
  });

  it("refuses fields the schema does not declare", async () => {
    const { message } = await mismatch("/extra-field");
    expect(message).toContain("fields its schema does not declare: secret");
  });

  it("refuses a status the operation does not declare, success or error", async () => {
    expect((await mismatch("/undeclared-status")).message).toContain(
      "testundeclaredstatus 202: status 202 is not declared",
    );
    expect((await mismatch("/undeclared-error")).message).toContain("409: status 409 is not declared");
  });

  it("lets declared errors and the gateway's standard ones through", async () => {
    const declared = await gw.get("/declared-error");
    expect(declared.status).toBe(409);
    expect(JSON.parse(declared.text)).toMatchObject({ error: { code: "conflict", message: "Exists" } });
    expect((await gw.get("/standard-error")).status).toBe(503);
    expect(gw.lines).toEqual([]);
  });

  it("checks the media of bodies that are not JSON", async () => {
    expect((await mismatch("/html-for-json")).message).toContain("expected a JSON body, sent text/html");
    expect((await gw.get("/csv-or-json")).status).toBe(200);
    expect((await mismatch("/zip")).message).toContain("expected application/zip, sent no body");
    expect((await gw.get("/zip", "HEAD")).status).toBe(200);
    const page = await gw.get("/page");
    expect([page.status, page.type]).toEqual([200, "text/html; charset=utf-8"]);
    expect((await mismatch("/json-for-page")).message).toContain(
      "sent a JSON body where the contract declares none",
    );
    expect((await mismatch("/no-body", "POST")).message).toContain("204: sent a JSON body");
  });

  it("is off unless configured: the same mismatches reach the client unchanged", async () => {
    const off = await serve(false);
    try {
      expect((await off.get("/wrong-type")).status).toBe(200);
      expect((await off.get("/undeclared-status")).status).toBe(202);
      expect(off.lines).toEqual([]);
    } finally {
      await off.close();
    }
  });
});
