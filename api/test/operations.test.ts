import { describe, expect, it } from "vitest";
import { ErrorBody } from "../src/common.js";
import type { Operation } from "../src/operation.js";
import { areas } from "../src/operations/index.js";

// the areas whose routes were moved into the contract with every answer declared
const checked = ["bundles", "files", "assignments", "links", "downloads", "recipients", "portal"] as const;

function operationsOf(area: (typeof checked)[number]): Operation[] {
  return Object.values(areas[area]).filter(
    (v): v is Operation => typeof v === "object" && v !== null && "operationId" in v,
  );
}

const cases = checked.flatMap((area) => operationsOf(area).map((op) => [op.operationId, op] as const));

describe("declared responses", () => {
  it("covers the areas", () => {
    for (const area of checked) expect(operationsOf(area).length, area).toBeGreaterThan(0);
  });

  it.each(cases)("%s: every answer is described: JSON with a schema, other media, or a redirect", (_, op) => {
    for (const [status, spec] of Object.entries(op.responses)) {
      const kinds = [spec.schema && !spec.media, spec.media, spec.redirect].filter(Boolean);
      expect(kinds.length, `${op.operationId} ${status}`).toBe(1);
      expect(spec.description.length, `${op.operationId} ${status}`).toBeGreaterThan(0);
      if (spec.media) expect(spec.media, `${op.operationId} ${status}`).toMatch(/^[a-z]+\/[\w.+-]+$/);
    }
  });

  it.each(cases)("%s: has a 4xx and every error answers the error shape", (_, op) => {
    const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
    expect(
      errors.some(([status]) => Number(status) < 500),
      op.operationId,
    ).toBe(true);
    for (const [status, spec] of errors) expect(spec.schema, `${op.operationId} ${status}`).toBe(ErrorBody);
  });

  it.each(cases)("%s: declares the refusals its access and input can cause", (_, op) => {
    const has = (status: number) => status in op.responses;
    if (op.access.kind !== "public") expect(has(401), `${op.operationId} 401`).toBe(true);
    if (op.access.kind === "user") expect(has(403), `${op.operationId} 403`).toBe(true);
    if (op.params || op.query || op.body) expect(has(422), `${op.operationId} 422`).toBe(true);
    if (op.body && (op.bodyTypes ?? ["json"]).includes("json")) {
      expect(has(413) && has(415), `${op.operationId} 413/415`).toBe(true);
    }
    if (op.bodyTypes && !op.body) {
      // the handler reads the body itself: the description says what to send
      expect(op.description ?? "", op.operationId).not.toBe("");
    }
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
