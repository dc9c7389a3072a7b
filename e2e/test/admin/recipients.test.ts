// The admin app's recipients and assignments pages in a browser: import with a preview that names every bad row
// by its line (nothing written until the file is right), export, add/edit/disable/delete, assigning a bundle with
// limits, a window, a passphrase and a message, the recipient's download in the assignment's log, and an executor
// offered only what it may do (and refused the rest by the server). axe and light/dark screenshots on every state.
import { readFile } from "node:fs/promises";
import type { schemas } from "@latchflow/api";
import { isApiError } from "@latchflow/api/client";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  hasFocus,
  launchChromium,
  newContext,
  recordForeignRequests,
  recordPageErrors,
} from "../browser.js";
import { fetchBytes, recipientBrowser, sessionOf, upload } from "../files/helpers.js";
import { MODES, OWNER_EMAIL, type Stack } from "../stack.js";
import { checkPage, signInByLink, startAdminStack } from "./browser.js";

/** A file for the file input. */
const file = (name: string, text: string, mimeType: string) => ({
  name,
  mimeType,
  buffer: Buffer.from(text),
});

/** The cells of a table's body rows, as text. */
const cells = (table: Locator) =>
  table
    .locator("tbody tr")
    .evaluateAll((rows) =>
      rows.map((r) =>
        [...r.querySelectorAll("td")].map((td) => (td.textContent ?? "").replace(/\s+/g, " ").trim()),
      ),
    );

/** `YYYY-MM-DDTHH:mm` in this machine's zone (the browser's too), as a datetime-local field takes it. */
const local = (d: Date) => {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
};

describe.each(MODES)("admin recipients and assignments on %s + %s", (dialect, bus) => {
  let s: Stack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let page: Page;
  let foreign: string[];
  let errors: string[];
  let bundle: schemas.Bundle;
  const heading = (p: Page, name: string) => p.getByRole("heading", { level: 1, name });
  const toast = (p: Page, text: string | RegExp) => p.getByRole("status").getByText(text).waitFor();
  /** The bundle's Recipients tab: the bundle's name as the page's heading, the tab marked current. */
  const onRecipientsTab = async (p: Page) => {
    await heading(p, "Family archive").waitFor();
    await p.getByRole("heading", { level: 2, name: "Recipients" }).waitFor();
    const tab = p
      .getByRole("navigation", { name: "Bundle sections" })
      .getByRole("link", { name: "Recipients" });
    await eventually(() => tab.getAttribute("aria-current")).toBe("page");
  };
  const byEmail = async (email: string) =>
    (await s.client().listRecipients({ query: { q: email } })).items.find((r) => r.email === email);

  const open = async () => {
    const context = await newContext(browser);
    contexts.push(context);
    const p = await context.newPage();
    return { page: p, foreign: recordForeignRequests(p, s.base), errors: recordPageErrors(p) };
  };

  beforeAll(async () => {
    s = await startAdminStack("adm_recipients", [dialect, bus]);
    browser = await launchChromium();
    ({ page, foreign, errors } = await open());
    bundle = await s.client().createBundle({ body: { name: "Family archive" } });
    const fileId = await upload(s, "letter.txt", Buffer.from("Dear all, ".repeat(5000)));
    await s.client().setBundleObjects({ params: { id: bundle.id }, body: { objects: [{ fileId }] } });
  }, 180_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.stop();
  });

  it("imports: a preview names every bad row by its line and writes nothing; then the good files; and exports", {
    timeout: 300_000,
  }, async () => {
    await page.goto(`${s.base}/admin/recipients`);
    await heading(page, "Sign in").waitFor();
    await signInByLink(page, s, OWNER_EMAIL);
    await heading(page, "Recipients").waitFor();
    const nav = page.getByRole("navigation", { name: "Main" });
    await eventually(() => nav.getByRole("link", { name: "Recipients" }).getAttribute("aria-current")).toBe(
      "page",
    );
    await page.getByRole("heading", { name: "No recipients yet" }).waitFor();
    expect(await page.getByRole("link", { name: "More about recipients" }).getAttribute("href")).toBe(
      "/admin/help#recipients",
    );
    await checkPage(page, "recipients-empty");

    await page.getByRole("link", { name: "Import a file" }).click();
    await heading(page, "Import recipients").waitFor();
    await checkPage(page, "recipients-import");

    const bad = [
      "email,name,enabled,note", // 1
      'ann@example.com,Ann,yes,"Met at', // 2: a quoted field over two lines
      'the fair"',
      "not-an-email,Broken,yes,", // 4
      "ann@example.com,Ann again,,", // 5: twice
      ",Nameless,no,", // 6: no address
      "cy@example.com,Cy,maybe,", // 7
      'dee@example.com,"Dee', // 8: a name of two lines
      'Dee",true,',
      'eve@example.com,Eve,no,"a', // 10
      'b"',
    ].join("\r\n");
    const input = page.getByLabel("File to import");
    // the server out of reach: said so, nothing else happens
    await page.route("**/api/v1/recipients/import/preview", (route) => route.abort());
    await input.setInputFiles(file("people.csv", bad, "text/csv"));
    await page.getByRole("heading", { level: 2, name: "The file could not be checked" }).waitFor();
    await page.getByText("The server could not be reached.").waitFor();
    await checkPage(page, "recipients-import-failed");
    await page.unroute("**/api/v1/recipients/import/preview");
    await input.setInputFiles(file("people.csv", bad, "text/csv"));
    const result = page.getByRole("heading", { level: 2, name: "people.csv: 7 rows" });
    await result.waitFor();
    await eventually(() => hasFocus(result)).toBe(true);
    const problems = page.getByRole("table", { name: "Problems in people.csv" });
    const rows = await cells(problems);
    expect(rows.map((r) => [r[0], r[1]])).toEqual([
      ["4", "Email"],
      ["5", "Email"],
      ["6", "Email"],
      ["7", "Enabled"],
      ["8", "Name"],
    ]);
    expect(rows[0]![2]).toContain("not-an-email");
    expect(rows[1]![2]).toContain("line 2");
    expect(rows[2]![2]).toContain("missing");
    expect(rows[3]![2]).toContain("maybe");
    const importButton = page.getByRole("button", { name: "Import people.csv" });
    expect(await importButton.isDisabled()).toBe(true);
    await page.getByText("Fix the 5 problems on 5 lines of the file").waitFor();
    const planned = await cells(page.getByRole("table", { name: "Changes from people.csv" }));
    expect(planned.map((r) => [r[0], r[1]])).toEqual([
      ["2", "ann@example.com"],
      ["10", "eve@example.com"],
    ]);
    await checkPage(page, "recipients-import-problems");
    // nothing was written
    expect((await s.client().listRecipients()).items).toEqual([]);

    await input.setInputFiles(
      file(
        "good.csv",
        'email,name,enabled\nann@example.com,Ann,yes\n"eve@example.com","Eve",no\n',
        "text/csv",
      ),
    );
    await page.getByRole("heading", { level: 2, name: "good.csv: 2 rows" }).waitFor();
    await page.getByText("Rows without problems: 2 to add.").waitFor();
    expect(await page.getByRole("table", { name: /^Problems/ }).count()).toBe(0);
    await checkPage(page, "recipients-import-ready");
    await page.getByRole("button", { name: "Import good.csv" }).click();
    await heading(page, "Recipients").waitFor();
    await toast(page, "Imported good.csv: 2 added, 0 updated, 0 unchanged.");
    expect(await byEmail("ann@example.com")).toMatchObject({ name: "Ann", enabled: true });
    expect(await byEmail("eve@example.com")).toMatchObject({ name: "Eve", enabled: false });

    // JSON, dropped on the page: the line of each item; then a good file that adds one and renames one
    await page.getByRole("link", { name: "Import…" }).click();
    await heading(page, "Import recipients").waitFor();
    const extra = '[\n  {"email": "fay@example.com"},\n  {"email": "gil@example.com", "phone": 1}\n]';
    // a DataTransfer holding the file, as a drag from the desktop brings it (made in the page)
    const dropped = await page.evaluateHandle(
      `(() => { const d = new DataTransfer(); d.items.add(new File([${JSON.stringify(extra)}], "extra.json", { type: "application/json" })); return d; })()`,
    );
    await page
      .getByRole("group", { name: /Drop the file here/ })
      .dispatchEvent("drop", { dataTransfer: dropped });
    await page.getByRole("heading", { level: 2, name: "extra.json: 2 rows" }).waitFor();
    expect(
      (await cells(page.getByRole("table", { name: "Problems in extra.json" }))).map((r) => r[0]),
    ).toEqual(["3"]);
    await page.getByLabel("File to import").setInputFiles(
      file(
        "people.json",
        JSON.stringify(
          [
            { email: "ann@example.com", name: "Ann Lee" },
            { email: "fay@example.com", name: "Fay" },
          ],
          null,
          2,
        ),
        "application/json",
      ),
    );
    await page.getByRole("heading", { level: 2, name: "people.json: 2 rows" }).waitFor();
    await page.getByText("name “Ann” → “Ann Lee”").waitFor();
    await page.getByRole("button", { name: "Import people.json" }).click();
    await toast(page, "Imported people.json: 1 added, 1 updated, 0 unchanged.");
    expect((await byEmail("ann@example.com"))?.name).toBe("Ann Lee");
    expect((await byEmail("fay@example.com"))?.name).toBe("Fay");
    const table = page.getByRole("table", { name: "Recipients" });
    await table.getByText("Fay", { exact: true }).waitFor();
    await checkPage(page, "recipients");

    // export: the bytes the server sends (CSV), and the same rows as JSON
    const csvDownload = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export CSV" }).click();
    const csv = await csvDownload;
    expect(csv.suggestedFilename()).toMatch(/^recipients-\d{4}-\d{2}-\d{2}\.csv$/);
    const served = await s.client().exportRecipients();
    if (!(served instanceof Response)) throw new Error("the CSV export is not CSV");
    expect(await readFile((await csv.path())!, "utf8")).toBe(await served.text());
    const jsonDownload = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export JSON" }).click();
    const json = await jsonDownload;
    const rows2 = await s.client().exportRecipients({ query: { format: "json" } });
    expect(await readFile((await json.path())!, "utf8")).toBe(`${JSON.stringify(rows2, null, 2)}\n`);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("adds, edits, searches, disables and deletes recipients", { timeout: 240_000 }, async () => {
    // the list failing to load: said so, with a way to try again
    const list = (url: URL) => url.pathname === "/api/v1/recipients";
    await page.route(list, (route) =>
      route.fulfill({
        status: 500,
        contentType: "application/json",
        body: JSON.stringify({ error: { code: "internal", message: "Internal error", requestId: "req-42" } }),
      }),
    );
    await page.goto(`${s.base}/admin/recipients`);
    await heading(page, "Recipients").waitFor();
    await page.getByText("The recipients could not be loaded.").waitFor();
    await page.getByText("reference req-42").waitFor();
    await checkPage(page, "recipients-load-error");
    await page.unroute(list);
    await page.getByRole("button", { name: "Try again" }).click();
    const table = page.getByRole("table", { name: "Recipients" });
    await table.getByText("Fay", { exact: true }).waitFor();

    // "n": the page's main action
    await page.keyboard.press("n");
    const add = page.getByRole("dialog", { name: "Add recipient" });
    await eventually(() => hasFocus(add.getByLabel("Email address"))).toBe(true);
    await add.getByRole("button", { name: "Add recipient" }).click();
    await add.getByText("Enter the recipient's email address.").waitFor();
    expect(await add.getByLabel("Email address").getAttribute("aria-invalid")).toBe("true");
    await checkPage(page, "recipient-add-error");
    await add.getByLabel("Email address").fill("ann@example.com");
    await add.getByRole("button", { name: "Add recipient" }).click();
    await add.getByText("A recipient with this email address already exists.").waitFor();
    await add.getByLabel("Email address").fill("gus@example.com");
    await add.getByLabel("Name (optional)").fill("Gus");
    await add.getByRole("button", { name: "Add recipient" }).click();
    await toast(page, "Added gus@example.com.");
    expect(await byEmail("gus@example.com")).toMatchObject({ name: "Gus", enabled: true });

    await page.getByRole("button", { name: "Edit gus@example.com" }).click();
    const edit = page.getByRole("dialog", { name: "Edit gus@example.com" });
    await eventually(() => edit.getByLabel("Name (optional)").inputValue()).toBe("Gus");
    await edit.getByLabel("Name (optional)").fill("Gus Grant");
    await edit.getByRole("button", { name: "Save changes" }).click();
    await toast(page, "Saved gus@example.com.");
    expect((await byEmail("gus@example.com"))?.name).toBe("Gus Grant");
    await page.getByRole("button", { name: "Disable gus@example.com" }).click();
    await page.getByRole("button", { name: "Enable gus@example.com" }).waitFor();
    expect((await byEmail("gus@example.com"))?.enabled).toBe(false);

    // the search: "/" focuses it; it filters by name or address
    await page.keyboard.press("/");
    const search = page.getByLabel("Search recipients");
    await eventually(() => hasFocus(search)).toBe(true);
    await page.keyboard.type("grant");
    await eventually(() => table.locator("tbody tr").count()).toBe(1);
    await page.getByText("1 of 4 recipients match").waitFor();
    await checkPage(page, "recipients-search");
    await search.fill("nobody-here");
    await page.getByText("No recipient matches “nobody-here”.").waitFor();
    await checkPage(page, "recipients-search-none");
    await page.getByRole("button", { name: "Clear the search" }).click();
    await eventually(() => table.locator("tbody tr").count()).toBe(4);

    // the recipient's page: no bundles yet
    await table.getByRole("link", { name: "Gus Grant" }).click();
    await heading(page, "Gus Grant").waitFor();
    await page.getByRole("heading", { name: "No bundles assigned to Gus Grant" }).waitFor();
    expect(await page.getByRole("link", { name: "More about assignments" }).getAttribute("href")).toBe(
      "/admin/help#assignments",
    );
    await checkPage(page, "recipient-detail-empty");
    const gus = (await byEmail("gus@example.com"))!;
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    const confirm = page.getByRole("dialog", { name: "Delete Gus Grant?" });
    await checkPage(page, "recipient-delete");
    await confirm.getByRole("button", { name: "Keep them" }).click();
    await eventually(() => confirm.isVisible()).toBe(false);
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await confirm.getByRole("button", { name: "Delete recipient" }).click();
    await heading(page, "Recipients").waitFor();
    await toast(page, "Deleted gus@example.com.");
    const gone = await s
      .client()
      .getRecipient({ params: { id: gus.id } })
      .catch((e: unknown) => e);
    expect(isApiError(gone) && gone.status).toBe(404);
    // a recipient or a bundle that does not exist (any more)
    await page.goto(`${s.base}/admin/recipients/${gus.id}`);
    await heading(page, "No such recipient").waitFor();
    await checkPage(page, "recipient-missing");
    await page.goto(`${s.base}/admin/bundles/${"0".repeat(26)}/recipients`);
    await heading(page, "Page not found").waitFor();
    await page.getByText("There is no such bundle").waitFor();
    await checkPage(page, "assignments-missing");
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("assigns a bundle with limits, a window, a passphrase and a message; the recipient's download shows in the log", {
    timeout: 300_000,
  }, async () => {
    await page.goto(`${s.base}/admin/bundles/${bundle.id}/recipients`);
    await onRecipientsTab(page);
    await page.getByRole("heading", { name: "Nobody has this bundle yet" }).waitFor();
    await checkPage(page, "assignments-empty");

    await page.getByRole("button", { name: "Assign recipients" }).click();
    const dialog = page.getByRole("dialog", { name: "Assign “Family archive”" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Assign" }).click();
    await dialog.getByText("Pick at least one recipient.").waitFor();
    await dialog.getByRole("checkbox", { name: /Ann Lee/ }).check();
    await dialog.getByLabel("Maximum downloads").fill("3");
    const start = new Date(Date.now() - 3600_000);
    const end = new Date(Date.now() + 7 * 86400_000);
    await dialog.getByLabel("Start of access").fill(local(start));
    await dialog.getByLabel("End of access").fill(local(end));
    await dialog.getByRole("radio", { name: "Set a passphrase" }).check();
    await dialog.getByLabel("Passphrase", { exact: true }).fill("short");
    await dialog.getByLabel("Message to the recipient (optional)").fill("Hello Ann,\nthese are the letters.");
    await dialog.getByRole("checkbox", { name: "Ask them to confirm they read the message" }).check();
    await dialog.getByRole("button", { name: "Assign" }).click();
    await dialog.getByText("Use 8 to 256 characters.").waitFor();
    await eventually(() => hasFocus(dialog.getByLabel("Passphrase", { exact: true }))).toBe(true);
    await checkPage(page, "assign-error");
    await dialog.getByLabel("Passphrase", { exact: true }).fill("correct horse battery");
    await dialog.getByRole("button", { name: "Assign" }).click();
    await toast(page, "Assigned “Family archive” to 1 recipient.");
    const ann = (await byEmail("ann@example.com"))!;
    const [made] = (await s.client().listAssignments({ params: { id: bundle.id } })).items;
    expect(made).toMatchObject({
      recipientId: ann.id,
      maxDownloads: 3,
      passphraseRequired: true,
      message: "Hello Ann,\nthese are the letters.",
      acknowledgementRequired: true,
      enabled: true,
    });
    expect(Math.abs(Date.parse(made!.notBefore!) - start.getTime())).toBeLessThan(60_000);
    expect(Math.abs(Date.parse(made!.notAfter!) - end.getTime())).toBeLessThan(60_000);
    const table = page.getByRole("table", { name: "Recipients of Family archive" });
    await table.getByText("0 of 3 used").waitFor();
    await table.getByText("Message, not confirmed yet").waitFor();
    await checkPage(page, "assignments");

    // edit: the passphrase is kept unless asked; only what changed is sent
    await page.getByRole("button", { name: "Edit access of Ann Lee" }).click();
    const edit = page.getByRole("dialog", { name: "Access of Ann Lee" });
    await eventually(() => edit.getByLabel("Maximum downloads").inputValue()).toBe("3");
    expect(await edit.getByRole("radio", { name: "Keep the current passphrase" }).isChecked()).toBe(true);
    expect(await edit.getByLabel("Message to the recipient (optional)").inputValue()).toBe(
      "Hello Ann,\nthese are the letters.",
    );
    await edit.getByLabel("Maximum downloads").fill("5");
    await checkPage(page, "assignment-edit");
    await edit.getByRole("button", { name: "Save changes" }).click();
    await toast(page, "Saved the access of Ann Lee.");
    await table.getByText("0 of 5 used").waitFor();
    const edited = (await s.client().listAssignments({ params: { id: bundle.id } })).items[0]!;
    expect(edited).toMatchObject({ maxDownloads: 5, passphraseRequired: true, notAfter: made!.notAfter });

    // the log, before any download
    await page.getByRole("button", { name: "Downloads by Ann Lee" }).click();
    await page.getByText("No downloads yet.").waitFor();
    await checkPage(page, "assignment-downloads-empty");

    // the recipient confirms the message, downloads with the passphrase on a device they named
    const recipient = await recipientBrowser(s, "ann@example.com");
    const portal = recipient.client("recipient");
    await portal.acknowledgePortalBundle({ params: { id: bundle.id } });
    const grant = await portal.consumePortalDownload({
      params: { id: bundle.id },
      body: { passphrase: "correct horse battery" },
    });
    const bytes = await fetchBytes(grant.url, sessionOf(recipient));
    expect(bytes.status).toBe(200);
    const device = (await portal.listPortalDevices()).items.find((d) => d.current)!;
    await portal.renamePortalDevice({ params: { id: device.id }, body: { name: "Ann's laptop" } });

    const log = page.getByRole("region", { name: "Downloads by Ann Lee" });
    await eventually(async () => {
      await log.getByRole("button", { name: "Refresh" }).click();
      return log.getByText("Completed", { exact: true }).count();
    }, 20_000).toBe(1);
    const [entry] = await cells(log.getByRole("table", { name: "Downloads by Ann Lee" }));
    expect(entry![1]).toContain("Ann's laptop");
    expect(entry![1]).toContain("New device");
    // the refresh brought the assignment's own count up to date
    await table.getByText("1 of 5 used").waitFor();
    await checkPage(page, "assignment-downloads");

    // the recipient's page lists the bundle; deleting them is refused while it is assigned
    await page.goto(`${s.base}/admin/recipients/${ann.id}`);
    await heading(page, "Ann Lee").waitFor();
    const assigned = page.getByRole("table", { name: "Bundles assigned to Ann Lee" });
    await assigned.getByText("1 of 5 used").waitFor();
    await checkPage(page, "recipient-detail");
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    const confirm = page.getByRole("dialog", { name: "Delete Ann Lee?" });
    await confirm.getByRole("button", { name: "Delete recipient" }).click();
    await confirm.getByText("This recipient still has bundles assigned.").waitFor();
    await checkPage(page, "recipient-delete-refused");
    await confirm.getByRole("button", { name: "Keep them" }).click();
    expect((await s.client().getRecipient({ params: { id: ann.id } })).id).toBe(ann.id);

    // back to the bundle: remove the assignment
    await assigned.getByRole("link", { name: "Family archive" }).click();
    await onRecipientsTab(page);
    await page.getByRole("button", { name: "Remove Ann Lee" }).click();
    const remove = page.getByRole("dialog", { name: "Remove Ann Lee?" });
    await checkPage(page, "assignment-remove");
    await remove.getByRole("button", { name: "Remove access" }).click();
    await toast(page, "Removed Ann Lee from “Family archive”.");
    await page.getByRole("heading", { name: "Nobody has this bundle yet" }).waitFor();
    expect((await s.client().listAssignments({ params: { id: bundle.id } })).items).toEqual([]);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("offers an executor without the grant nothing it may not do, and the server refuses it", {
    timeout: 240_000,
  }, async () => {
    const owner = s.client();
    const eve = (await byEmail("eve@example.com"))!;
    const a = await owner.createAssignment({ params: { id: bundle.id }, body: { recipientId: eve.id } });
    const email = `recipients-executor-${dialect}@example.com`;
    const user = await owner.inviteUser({ body: { email, role: "executor" } });
    await owner.grantPermission({
      params: { id: user.id },
      body: { action: "bundles:read", resourceType: "bundle", resourceId: bundle.id },
    });
    const executor = await open();
    const p = executor.page;
    await p.goto(`${s.base}/admin/bundles/${bundle.id}/recipients`);
    await signInByLink(p, s, email);
    await onRecipientsTab(p);
    const nav = p.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link", { name: "Recipients" }).count()).toBe(0);
    // it may read the bundle: the list (recipients by id: it may not read them) and the log, nothing else
    const table = p.getByRole("table", { name: "Recipients of Family archive" });
    await table.getByText(`Recipient ${eve.id}`, { exact: true }).waitFor();
    expect(await p.getByRole("button", { name: /Assign|Edit|Disable|Enable|Remove/ }).count()).toBe(0);
    await p.getByRole("button", { name: `Downloads by recipient ${eve.id}` }).click();
    await p.getByText("No downloads yet.").waitFor();
    await checkPage(p, "assignments-executor");

    const csrf = (await p.context().cookies()).find((c) => c.name === "lf_csrf")?.value ?? "";
    const statuses = await p.evaluate(
      async ({ bundleId, assignmentId, recipientId, csrf }) => {
        const call = (method: string, path: string, body?: string, type = "application/json") =>
          fetch(path, {
            method,
            headers: { "content-type": type, "x-csrf-token": decodeURIComponent(csrf) },
            ...(body ? { body } : {}),
          }).then((r) => r.status);
        return [
          await call("PATCH", `/api/v1/assignments/${assignmentId}`, JSON.stringify({ maxDownloads: 99 })),
          await call("DELETE", `/api/v1/assignments/${assignmentId}`),
          await call("POST", `/api/v1/bundles/${bundleId}/assignments`, JSON.stringify({ recipientId })),
          await call("GET", "/api/v1/recipients"),
          await call("POST", "/api/v1/recipients/import/preview", "email\nx@example.com\n", "text/csv"),
        ];
      },
      { bundleId: bundle.id, assignmentId: a.id, recipientId: eve.id, csrf },
    );
    expect(statuses).toEqual([403, 403, 403, 403, 403]);
    expect((await owner.listAssignments({ params: { id: bundle.id } })).items[0]).toMatchObject({
      id: a.id,
      maxDownloads: 0,
    });

    // the recipients page itself says whom to ask
    await p.goto(`${s.base}/admin/recipients`);
    await p.getByRole("heading", { name: "Recipients are not shared with you" }).waitFor();
    await checkPage(p, "recipients-executor");
    expect(executor.foreign).toEqual([]);
    expect(executor.errors).toEqual([]);
  });
});
