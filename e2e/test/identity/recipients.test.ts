import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, http } from "../http.js";
import { MODES, OWNER_TOKEN, type Stack, startStack } from "../stack.js";

describe.each(MODES)("recipient import and export on %s + %s", (dialect, bus) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "recipients");
  });
  afterAll(async () => {
    await s?.stop();
  });

  const importCsv = (csv: string) =>
    http(s.base, "POST", "/api/v1/recipients/import", {
      token: OWNER_TOKEN,
      body: csv,
      headers: { "content-type": "text/csv" },
    });

  it("imports CSV (quotes, commas, CRLF), upserts by email, and exports the same data as CSV and JSON", async () => {
    const first = await importCsv(
      'email,name,enabled\r\nalice@example.com,"Smith, Alice",true\r\nBOB@example.com,Bob,false\r\n',
    );
    expect(first.status, first.text).toBe(200);
    expect(first.body).toEqual({ created: 2, updated: 0, unchanged: 0 });
    const second = await http(s.base, "POST", "/api/v1/recipients/import", {
      token: OWNER_TOKEN,
      json: [
        { email: "alice@example.com", name: "Smith, Alice" },
        { email: "bob@example.com", enabled: true },
        { email: "carol@example.com" },
      ],
    });
    expect(second.body).toEqual({ created: 1, updated: 1, unchanged: 1 });
    const csv = await fetch(`${s.base}/api/v1/recipients/export`, {
      headers: { authorization: `Bearer ${OWNER_TOKEN}` },
    });
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(await csv.text()).toBe(
      'email,name,enabled\r\nalice@example.com,"Smith, Alice",true\r\nbob@example.com,Bob,true\r\ncarol@example.com,,true\r\n',
    );
    const json = await http(s.base, "GET", "/api/v1/recipients/export?format=json", { token: OWNER_TOKEN });
    expect(json.body).toHaveLength(3);
  });

  it("refuses the whole import when any row is bad, and changes nothing", async () => {
    const bad = await importCsv("email,name\ndave@example.com,Dave\nnot-an-email,X\n");
    expectError(bad, 422, "validation_failed");
    const dup = await importCsv("email\neve@example.com\nEVE@example.com\n");
    expectError(dup, 422, "validation_failed");
    expectError(await importCsv("name\nno email column\n"), 422, "validation_failed");
    expectError(await importCsv('email\n"unterminated\n'), 422, "validation_failed");
    const all = (await http(s.base, "GET", "/api/v1/recipients/export?format=json", { token: OWNER_TOKEN }))
      .body as { email: string }[];
    expect(all.map((r) => r.email)).not.toContain("dave@example.com");
    expect(all.map((r) => r.email)).not.toContain("eve@example.com");
  });

  it("deletes a recipient without assignments; one with assignments is refused", async () => {
    const made = (
      await http(s.base, "POST", "/api/v1/recipients", {
        token: OWNER_TOKEN,
        json: { email: "gone@example.com" },
      })
    ).body as { id: string };
    const kept = (
      await http(s.base, "POST", "/api/v1/recipients", {
        token: OWNER_TOKEN,
        json: { email: "kept@example.com" },
      })
    ).body as { id: string };
    const bundle = (
      await http(s.base, "POST", "/api/v1/bundles", { token: OWNER_TOKEN, json: { name: "for kept" } })
    ).body as { id: string };
    await http(s.base, "POST", `/api/v1/bundles/${bundle.id}/assignments`, {
      token: OWNER_TOKEN,
      json: { recipientId: kept.id },
    });
    expect(
      (await http(s.base, "DELETE", `/api/v1/recipients/${made.id}`, { token: OWNER_TOKEN })).status,
    ).toBe(200);
    expectError(
      await http(s.base, "GET", `/api/v1/recipients/${made.id}`, { token: OWNER_TOKEN }),
      404,
      "not_found",
    );
    expectError(
      await http(s.base, "DELETE", `/api/v1/recipients/${kept.id}`, { token: OWNER_TOKEN }),
      409,
      "conflict",
    );
  });
});
