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

  const previewCsv = (csv: string) => api.previewRecipientImport({ body: csv, contentType: "text/csv" });

  it("previews an import: every problem with the line it starts on, what each good row would do, nothing written", async () => {
    await api.createRecipient({ body: { email: "kim@example.com", name: "Kim" } });
    await api.createRecipient({ body: { email: "lee@example.com", name: "Lee" } });
    const before = await exported();
    const csv = [
      "email,name,enabled,note", // 1 (other columns are ignored)
      'new-one@example.com,New One,yes,"a note', // 2: a quoted field over two lines
      'over two lines"',
      "not-an-address,Nobody", // 4
      "", // 5: blank lines count, and are no row
      "KIM@example.com,Kimberly", // 6: an update (case does not matter)
      ",No address", // 7
      "lee@example.com,", // 8: unchanged (an empty name keeps the one there)
      "new-one@example.com,Twice", // 9: a duplicate of line 2
      "pat@example.com,Pat,perhaps", // 10
      "sam@example.com,Smith, Sam,true,x", // 11: an unquoted comma
      '"ann@example.com","Ann', // 12: a name is one line
      'Two Lines"',
    ].join("\r\n");
    const preview = await previewCsv(csv);
    expect(preview).toMatchObject({ format: "csv", rows: 9, created: 1, updated: 1, unchanged: 1 });
    expect(preview.errors.map((e) => [e.line, e.row, e.field])).toEqual([
      [4, 2, "email"],
      [7, 4, "email"],
      [9, 6, "email"],
      [10, 7, "enabled"],
      [11, 8, "row"],
      [11, 8, "enabled"],
      [12, 9, "name"],
    ]);
    expect(preview.errors[0]!.message).toContain("not-an-address");
    expect(preview.errors[1]!.message).toContain("missing");
    expect(preview.errors[2]!.message).toContain("line 2");
    expect(preview.changes).toEqual([
      {
        line: 2,
        row: 1,
        email: "new-one@example.com",
        name: "New One",
        enabled: true,
        action: "create",
        changes: [],
        previous: null,
      },
      {
        line: 6,
        row: 3,
        email: "kim@example.com",
        name: "Kimberly",
        enabled: true,
        action: "update",
        changes: ["name"],
        previous: { name: "Kim", enabled: true },
      },
      {
        line: 8,
        row: 5,
        email: "lee@example.com",
        name: "Lee",
        enabled: true,
        action: "unchanged",
        changes: [],
        previous: { name: "Lee", enabled: true },
      },
    ]);
    // the real import refuses the same file with the same problems, and writes nothing
    const refused = await importCsv(csv);
    expectError(refused, 422, "validation_failed");
    if (refused.ok) throw new Error("imported");
    expect(refused.body.error.details?.errors).toEqual(preview.errors);
    expect(await exported()).toEqual(before);

    // the file fixed: the preview is clean, and the import does what it said
    const fixed = [
      "email,name,enabled",
      "new-one@example.com,New One,yes",
      "KIM@example.com,Kimberly",
      "lee@example.com,",
    ].join("\n");
    const clean = await previewCsv(fixed);
    expect(clean).toMatchObject({ errors: [], created: 1, updated: 1, unchanged: 1 });
    expect(await exported()).toEqual(before);
    expect((await importCsv(fixed)).body).toEqual({ created: 1, updated: 1, unchanged: 1 });
    const after = await exported();
    expect(after.find((r) => r.email === "kim@example.com")?.name).toBe("Kimberly");
    expect(after.find((r) => r.email === "new-one@example.com")?.name).toBe("New One");
  });

  it("previews a JSON import with the line of each item; not JSON is answered at its line", async () => {
    const json = `[
  {"email": "jo@example.com", "name": "Jo"},
  {"email": "jo@example.com"},
  {"email": "kai@example.com", "enabled": "no", "phone": "555"},
  {
    "email": "\\u0001ctl@example.com"
  }
]`;
    const preview = await api.previewRecipientImport({ body: json, contentType: "application/json" });
    expect(preview).toMatchObject({ format: "json", rows: 4, created: 1 });
    expect(preview.errors.map((e) => [e.line, e.row, e.field])).toEqual([
      [3, 2, "email"],
      [4, 3, "row"],
      [4, 3, "enabled"],
      [5, 4, "email"],
    ]);
    const broken = await api.previewRecipientImport({
      body: '[\n  {"email": "a@example.com"},\n]',
      contentType: "application/json",
    });
    expect(broken.errors).toEqual([
      { line: 3, row: null, field: "file", message: expect.stringContaining("not valid JSON") },
    ]);
    expect((await exported()).map((r) => r.email)).not.toContain("jo@example.com");
    // the good JSON file imports
    const good = await api.importRecipients({
      body: '[{"email": "jo@example.com", "name": "Jo", "enabled": false}]',
      contentType: "application/json",
    });
    expect(good).toEqual({ created: 1, updated: 0, unchanged: 0 });
    expect((await exported()).find((r) => r.email === "jo@example.com")).toEqual({
      email: "jo@example.com",
      name: "Jo",
      enabled: false,
    });
  });

  it("refuses a preview or import to callers without recipients:write, and bodies that are neither CSV nor JSON", async () => {
    const email = `importer-${dialect}@example.com`;
    const user = await api.inviteUser({ body: { email, role: "executor" } });
    const executor = (await s.signIn(email)).client();
    const csv = "email\nsneaky@example.com\n";
    expectError(
      await executor.raw.previewRecipientImport({ body: csv, contentType: "text/csv" }),
      403,
      "permission_denied",
    );
    expectError(
      await executor.raw.importRecipients({ body: csv, contentType: "text/csv" }),
      403,
      "permission_denied",
    );
    // reading recipients is not writing them
    await api.grantPermission({
      params: { id: user.id },
      body: { action: "recipients:read", resourceType: "*", resourceId: "*" },
    });
    expectError(
      await executor.raw.previewRecipientImport({ body: csv, contentType: "text/csv" }),
      403,
      "permission_denied",
    );
    expectError(
      await s.browser().client().raw.previewRecipientImport({ body: csv, contentType: "text/csv" }),
      401,
      "unauthenticated",
    );
    expectError(
      await api.raw.previewRecipientImport({ body: csv, contentType: "text/plain" }),
      422,
      "validation_failed",
    );
    expect((await exported()).map((r) => r.email)).not.toContain("sneaky@example.com");
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
