import type { Client, schemas } from "@latchflow/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "../http.js";
import { MODES, type Stack, startStack } from "../stack.js";

describe.each(MODES)("recipient import and export on %s + %s", (dialect, bus) => {
  let s: Stack;
  let api: Client;
  beforeAll(async () => {
    s = await startStack(dialect, bus, "recipients");
    api = s.client();
  });
  afterAll(async () => {
    await s?.stop();
  });

  const importCsv = (csv: string) => api.raw.importRecipients({ body: csv, contentType: "text/csv" });
  /** The JSON export (the same rows as the CSV one). */
  const exported = async (): Promise<schemas.RecipientExportRow[]> => {
    const rows = await api.exportRecipients({ query: { format: "json" } });
    if (rows instanceof Response) throw new Error(`not JSON: ${rows.headers.get("content-type")}`);
    return rows;
  };

  it("imports CSV (quotes, commas, CRLF), upserts by email, and exports the same data as CSV and JSON", async () => {
    const first = await importCsv(
      'email,name,enabled\r\nalice@example.com,"Smith, Alice",true\r\nBOB@example.com,Bob,false\r\n',
    );
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toEqual({ created: 2, updated: 0, unchanged: 0 });
    const rows = [
      { email: "alice@example.com", name: "Smith, Alice" },
      { email: "bob@example.com", enabled: true },
      { email: "carol@example.com" },
    ];
    const second = await api.importRecipients({
      body: JSON.stringify(rows),
      contentType: "application/json",
    });
    expect(second).toEqual({ created: 1, updated: 1, unchanged: 1 });
    const csv = await api.exportRecipients();
    if (!(csv instanceof Response)) throw new Error("the default export is not CSV");
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(await csv.text()).toBe(
      'email,name,enabled\r\nalice@example.com,"Smith, Alice",true\r\nbob@example.com,Bob,true\r\ncarol@example.com,,true\r\n',
    );
    expect(await exported()).toHaveLength(3);
  });

  it("refuses the whole import when any row is bad, and changes nothing", async () => {
    const bad = await importCsv("email,name\ndave@example.com,Dave\nnot-an-email,X\n");
    expectError(bad, 422, "validation_failed");
    const dup = await importCsv("email\neve@example.com\nEVE@example.com\n");
    expectError(dup, 422, "validation_failed");
    expectError(await importCsv("name\nno email column\n"), 422, "validation_failed");
    expectError(await importCsv('email\n"unterminated\n'), 422, "validation_failed");
    const all = await exported();
    expect(all.map((r) => r.email)).not.toContain("dave@example.com");
    expect(all.map((r) => r.email)).not.toContain("eve@example.com");
  });

  it("deletes a recipient without assignments; one with assignments is refused", async () => {
    const made = await api.createRecipient({ body: { email: "gone@example.com" } });
    const kept = await api.createRecipient({ body: { email: "kept@example.com" } });
    const bundle = await api.createBundle({ body: { name: "for kept" } });
    await api.createAssignment({ params: { id: bundle.id }, body: { recipientId: kept.id } });
    expect((await api.deleteRecipient({ params: { id: made.id } })).id).toBe(made.id);
    expectError(await api.raw.getRecipient({ params: { id: made.id } }), 404, "not_found");
    expectError(await api.raw.deleteRecipient({ params: { id: kept.id } }), 409, "conflict");
  });
});
