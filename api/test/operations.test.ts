import { describe, expect, it } from "vitest";
import { ErrorBody, type Operation, operations } from "../src/index.js";
import { areas } from "../src/operations/index.js";

function operationsOf(area: Record<string, unknown>): Operation[] {
  return Object.values(area).filter(
    (v): v is Operation => typeof v === "object" && v !== null && "operationId" in v,
  );
}

const described = Object.entries(areas).flatMap(([name, area]) =>
  operationsOf(area).map((op) => [`${name}.${op.operationId}`, op] as const),
);

describe.each(described)("%s", (_, op) => {
  it("describes every answer: a JSON schema, a media type, a redirect, or no body (204)", () => {
    for (const [status, spec] of Object.entries(op.responses)) {
      if (!spec.schema && !spec.media && !spec.redirect) {
        expect(Number(status), `${op.operationId} ${status} declares no body`).toBe(204);
      }
      if (Number(status) >= 400) {
        expect(spec.schema ?? spec.media, `${op.operationId} ${status} describes its body`).toBeDefined();
      }
    }
  });

  it("declares at least one 4xx answer", () => {
    expect(Object.keys(op.responses).some((s) => s.startsWith("4"))).toBe(true);
  });

  it("declares 429 when rate-limited, 413 and 415 when it takes a JSON or form body", () => {
    if (op.rateLimited) expect(op.responses[429]?.schema).toBeDefined();
    if (op.body) {
      expect(op.responses[413]?.schema).toBeDefined();
      expect(op.responses[415]?.schema).toBeDefined();
    }
  });

  it("declares the refusals its access and input can cause", () => {
    const has = (status: number) => status in op.responses;
    if (op.access.kind !== "public") expect(has(401), `${op.operationId} 401`).toBe(true);
    if (op.access.kind === "user") expect(has(403), `${op.operationId} 403`).toBe(true);
    if (op.params || op.query || op.body) expect(has(422), `${op.operationId} 422`).toBe(true);
    if (op.bodyTypes && !op.body) {
      // the handler reads the body itself: the description says what to send
      expect(op.description ?? "", op.operationId).not.toBe("");
    }
  });

  it("declares a 404 or 422 for its path parameters", () => {
    if (!op.path.includes(":")) return;
    expect(op.params, "path parameters have a schema").toBeDefined();
    expect(op.responses[404] ?? op.responses[422]).toBeDefined();
  });
});

describe("rate limiting", () => {
  it("covers exactly the auth and token endpoints, the public ingress (hooks, check-in links) and the ways into a pairing", () => {
    const ingress = /^\/(api\/v1\/(auth|tokens)(\/|$)|hooks\/|checkin\/)/;
    // a pairing is a sign-in: showing a code, entering it and polling for the answer are limited like one
    const pairing = new Set(["startPortalPairing", "claimPortalPairing", "getPortalPairingClaim"]);
    for (const op of Object.values(operations) as Operation[]) {
      expect(Boolean(op.rateLimited), `${op.operationId} ${op.path}`).toBe(
        ingress.test(op.path) || pairing.has(op.operationId),
      );
    }
  });
});

describe("named schemas", () => {
  it("answer the device flow's refusals in OAuth's shape, not the error shape", () => {
    const refusal = operations.pollDeviceToken.responses[400].schema;
    expect(refusal.safeParse({ error: "slow_down", interval: 10 }).success).toBe(true);
    expect(refusal.safeParse({ error: "no_such_outcome" }).success).toBe(false);
    expect(operations.pollDeviceToken.responses[200].schema.safeParse({ error: "x" }).success).toBe(false);
  });

  it("tell an audit break by the contract's reasons", () => {
    const verification = {
      ok: false,
      checked: 3,
      head: { seq: 3, hash: "h" },
      checkpoints: { verified: 0, skipped: 0, anchoredSeq: 0, notYetCheckpointed: null },
      firstBroken: { seq: 2, id: "r", reason: "gap", message: "1 missing" },
    };
    const schema = operations.verifyAuditChain.responses[200].schema;
    expect(schema.safeParse(verification).success).toBe(true);
    const unknown = { ...verification, firstBroken: { ...verification.firstBroken, reason: "typo" } };
    expect(schema.safeParse(unknown).success).toBe(false);
  });
});

describe("refusal bodies", () => {
  it("the 416 a download answers is the error shape", () => {
    const body = {
      error: { code: "range_not_satisfiable", message: "Range not satisfiable", requestId: "r" },
    };
    expect(ErrorBody.safeParse(body).success).toBe(true);
    expect(ErrorBody.safeParse({ error: { ...body.error, code: "range_unknown" } }).success).toBe(false);
  });
});
