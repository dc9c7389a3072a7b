// The admin's audit viewer and dashboard in a browser (ADR 032): filters by names (bundle, recipient email,
// pipeline, user) and time reflected in the address, infinite scroll with a "Load more" fallback, exports that
// hold exactly the filtered records, the chain's status (then a tampered record named and shown), and the
// dashboard's numbers for an owner and, scoped, for an executor. axe and light/dark screenshots on every state.
import { readFileSync } from "node:fs";
import type { Client } from "@latchflow/api";
import { openAuditDatabase } from "@latchflow/audit";
import { createLogger } from "@latchflow/runtime";
import { sqlTable } from "@latchflow/runtime/db";
import { waitFor } from "@latchflow/testing";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Activity, seedActivity } from "../audit/activity.js";
import { auditAll, csvRows } from "../audit/helpers.js";
import {
  eventually,
  hasFocus,
  launchChromium,
  newContext,
  recordForeignRequests,
  recordPageErrors,
} from "../browser.js";
import { expectError } from "../http.js";
import { MODES, OWNER_EMAIL, type Stack } from "../stack.js";
import { checkPage, signInByLink, startAdminStack } from "./browser.js";

/** bundles made beyond the activity, so one filter spans more than one page (50) of records */
const FILLERS = 60;

describe.each(MODES)("admin audit viewer and dashboard on %s + %s", (dialect, bus) => {
  let s: Stack;
  let browser: Browser;
  let owner: Client;
  let a: Activity;
  const contexts: BrowserContext[] = [];
  const open = async () => {
    const context = await newContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    return { page, foreign: recordForeignRequests(page, s.base), errors: recordPageErrors(page) };
  };
  const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name });
  const entries = (page: Page) => page.getByRole("list", { name: /Records/ }).locator(":scope > li");
  /** applies the filters through the form, as typed */
  const filter = async (page: Page, values: Record<string, string>) => {
    const form = page.getByRole("form", { name: "Filters" });
    for (const label of ["Event type", "Bundle", "Recipient", "Pipeline", "Trigger", "User"])
      await form.getByLabel(label, { exact: true }).fill(values[label] ?? "");
    await form.getByLabel("From", { exact: true }).fill(values.From ?? "");
    await form.getByLabel("To", { exact: true }).fill(values.To ?? "");
    await form.getByRole("button", { name: "Apply filters" }).click();
  };
  /** waits until the list shows exactly `n` records */
  const shows = (page: Page, n: number) => eventually(() => entries(page).count()).toBe(n);

  beforeAll(async () => {
    s = await startAdminStack("adm_audit", [dialect, bus]);
    browser = await launchChromium();
    owner = s.client();
    a = await seedActivity(s);
    for (let i = 0; i < FILLERS; i++) await owner.createBundle({ body: { name: `filler ${i}` } });
    await waitFor(
      async () => (await auditAll(s, { type: "bundles.bundle.created" })).length >= FILLERS + 3 || undefined,
      { timeoutMs: 30_000, description: "the filler bundles audited" },
    );
  }, 300_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.stop();
  });

  it("filters by names and time in the address, scrolls, exports the filter, and names a broken record", {
    timeout: 300_000,
  }, async () => {
    const { page, foreign, errors } = await open();
    await page.goto(`${s.base}/admin/audit`);
    await signInByLink(page, s, OWNER_EMAIL);
    await heading(page, "Audit log").waitFor();
    const nav = page.getByRole("navigation", { name: "Main" });
    expect((await nav.getByRole("link").allTextContents())[0]).toBe("Dashboard");
    expect(await nav.getByRole("link", { name: "Audit" }).getAttribute("aria-current")).toBe("page");
    // the chain's status: intact, with its length and head
    const chain = page.getByRole("status").filter({ hasText: "Chain intact" });
    await chain.waitFor();
    const said = (await chain.textContent())?.replace(/\s+/g, " ") ?? "";
    const [, checked, headSeq] = /Chain intact: ([\d,]+) records verified, head #(\d+)/.exec(said) ?? [];
    // every record from 1 to the head was checked
    expect(Number(checked?.replace(/,/g, ""))).toBe(Number(headSeq));
    expect(Number(headSeq)).toBeGreaterThan(FILLERS);
    await shows(page, 50);
    await checkPage(page, "audit");

    // the event type filter is the page's search field (the "/" shortcut)
    expect(await page.locator('[data-shortcut="search"]').getAttribute("name")).toBe("type");

    // a bundle by its name: every record about it, the bundle named in each
    await filter(page, { Bundle: a.family.name });
    const family = await auditAll(s, { bundle: a.family.id });
    await shows(page, family.length);
    expect(new URL(page.url()).searchParams.get("bundle")).toBe(a.family.name);
    expect(await entries(page).filter({ hasText: a.family.name }).count()).toBe(family.length);
    // the actor by address where the log knows it
    await entries(page)
      .filter({ hasText: "bundles.bundle.created" })
      .getByText(`by ${OWNER_EMAIL}`)
      .waitFor();

    // a recipient by email and a type; the whole record opens as JSON
    await filter(page, { Recipient: a.alice.email, "Event type": "bundles.download.granted" });
    await shows(page, 3);
    const first = entries(page).first();
    await first.locator("summary").click();
    const json = JSON.parse((await first.locator("pre").textContent()) ?? "{}") as {
      type: string;
      data: unknown;
    };
    expect(json.type).toBe("bundles.download.granted");
    expect(json.data).toMatchObject({ recipientId: a.alice.id });
    await checkPage(page, "audit-filtered-open");

    // a pipeline by its name; a user (who did it) by email
    await filter(page, { Pipeline: a.failing.name, "Event type": "pipelines.run." });
    await entries(page).filter({ hasText: "pipelines.run.failed" }).waitFor();
    expect(await entries(page).count()).toBe(2); // started, failed
    await filter(page, { User: OWNER_EMAIL, "Event type": "pipelines.pipeline.saved" });
    await shows(page, 2);

    // a time range: the future has nothing, and says so
    const future = new Date(Date.now() + 86_400_000);
    const local = (d: Date) =>
      new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await filter(page, { From: local(future) });
    await page.getByRole("heading", { name: "No records match these filters" }).waitFor();
    await checkPage(page, "audit-empty");
    // the past hour has the filler bundles
    await filter(page, {
      "Event type": "bundles.bundle.created",
      From: local(new Date(Date.now() - 3_600_000)),
    });
    await shows(page, 50);

    // a name nothing ever had: said at the field, which gets the focus
    await filter(page, { Pipeline: "shared-now" });
    const pipelineField = page.getByLabel("Pipeline", { exact: true });
    await eventually(() => pipelineField.getAttribute("aria-invalid")).toBe("true");
    const described = (await pipelineField.getAttribute("aria-describedby")) ?? "";
    expect(await page.locator(`[id="${described.split(" ").at(-1)}"]`).textContent()).toContain(
      "No pipeline named “shared-now”",
    );
    await eventually(() => hasFocus(pipelineField)).toBe(true);
    await checkPage(page, "audit-unknown-name");

    // the address holds the filters: opened again (shared, reloaded) it shows the same
    const shared = `${s.base}/admin/audit?${new URLSearchParams({ type: "bundles.bundle.created" })}`;
    await page.goto(shared);
    await heading(page, "Audit log").waitFor();
    expect(await page.getByLabel("Event type").inputValue()).toBe("bundles.bundle.created");
    const created = await auditAll(s, { type: "bundles.bundle.created" });
    expect(created.length).toBeGreaterThan(50);
    await shows(page, 50);
    // scrolling to the end loads the next page, and says how many are loaded
    await page.locator(".sentinel").scrollIntoViewIfNeeded();
    await shows(page, created.length);
    await page
      .getByRole("status")
      .filter({ hasText: `All ${created.length} records loaded.` })
      .waitFor();
    expect(await page.getByRole("button", { name: "Load more records" }).count()).toBe(0);
    // the button does the same from the keyboard
    await page.goto(`${s.base}/admin/audit?type=bundles.`);
    await shows(page, 50);
    const more = page.getByRole("button", { name: "Load more records" });
    await more.focus();
    await page.keyboard.press("Enter");
    await eventually(() => entries(page).count()).toBeGreaterThan(50);
    await page
      .getByRole("status")
      .filter({ hasText: /\d+ records loaded/ })
      .waitFor();

    // exports of the current filter: exactly its records, in both formats
    await page.goto(`${s.base}/admin/audit?${new URLSearchParams({ bundle: a.family.name })}`);
    await shows(page, family.length);
    const expected = family.map((r) => r.id).sort();
    const [ndjson] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: /Export NDJSON/ }).click(),
    ]);
    const lines = readFileSync((await ndjson.path())!, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind?: string; id?: string; filters?: unknown });
    expect(lines[0]).toMatchObject({ filters: { bundle: a.family.name } });
    expect(
      lines
        .filter((l) => l.kind === "record")
        .map((l) => l.id)
        .sort(),
    ).toEqual(expected);
    const [csv] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: /Export CSV/ }).click(),
    ]);
    const rows = csvRows(readFileSync((await csv.path())!, "utf8"));
    const idColumn = rows[0]!.indexOf("id");
    expect(
      rows
        .slice(1)
        .map((r) => r[idColumn])
        .sort(),
    ).toEqual(expected);
    expect(csv.suggestedFilename()).toMatch(/^audit-default-\d{4}-\d{2}-\d{2}\.csv$/);

    // someone changes a record in the database: the page names the first broken record and shows it
    const victim = family.find((r) => r.type === "bundles.bundle.created")!;
    const db = await openAuditDatabase(s.config, createLogger({ level: "silent" }));
    try {
      await db
        .em()
        .getConnection()
        .execute(`UPDATE ${sqlTable(db, "audit_log")} SET data = ? WHERE id = ?`, [
          JSON.stringify({ bundleId: a.family.id, name: "Forged" }),
          victim.id,
        ]);
    } finally {
      await db.close();
    }
    await page.goto(`${s.base}/admin/audit`);
    const broken = page.getByRole("status").filter({ hasText: "The chain is broken." });
    await broken.waitFor({ timeout: 30_000 });
    const told = (await broken.textContent())?.replace(/\s+/g, " ") ?? "";
    expect(told).toContain(`First broken record: #${victim.seq} (${victim.id})`);
    expect(told).toContain("hash_mismatch");
    await checkPage(page, "audit-broken");
    await broken.getByRole("link", { name: `Show record #${victim.seq} in the list` }).click();
    const target = page.locator(`#record-${victim.seq}`);
    await target.waitFor();
    expect(new URL(page.url()).searchParams.get("seq")).toBe(String(victim.seq));
    expect(await target.locator("details").getAttribute("open")).not.toBeNull();
    expect(await target.locator("pre").textContent()).toContain("Forged");
    await checkPage(page, "audit-broken-record");
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("shows the dashboard's numbers to the owner, only its own to an executor, and nothing to an idle one", {
    timeout: 240_000,
  }, async () => {
    const { page, foreign, errors } = await open();
    // the sign-in link of the app's home lands on the dashboard
    await page.goto(`${s.base}/admin/`);
    await heading(page, "Sign in").waitFor();
    expect(new URL(page.url()).searchParams.get("next")).toBe("/admin/");
    await signInByLink(page, s, OWNER_EMAIL);
    await heading(page, "Dashboard").waitFor();
    expect(new URL(page.url()).pathname).toBe("/admin/");
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link", { name: "Dashboard" }).getAttribute("aria-current")).toBe("page");
    expect(await nav.getByRole("link", { name: "Audit" }).getAttribute("aria-current")).toBeNull();
    const summary = page.getByRole("list", { name: "Summary" });
    await summary.getByText("4 downloads", { exact: false }).waitFor();
    await checkPage(page, "dashboard");

    const numbers = async (caption: string) => {
      await page.getByText(`Show the numbers: ${caption}`).click();
      const table = page.getByRole("table", { name: caption });
      await table.waitFor();
      return tableRows(table);
    };
    const today = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" }).format(new Date());
    const perDay = await numbers("Releases and downloads per day");
    expect(perDay).toHaveLength(30);
    expect(perDay.at(-1)).toEqual([today, "4", "3"]);
    expect(await numbers("Bundles downloaded most")).toEqual([
      [a.family.name, "3", "2"],
      [a.work.name, "1", "1"],
    ]);
    expect(await numbers("Recipients downloading most")).toEqual([
      [a.alice.email, "3", "2"],
      [a.bob.email, "1", "1"],
    ]);
    // the chart's description says the same in words
    expect(await page.locator("svg[role=img] desc").first().textContent()).toContain(
      "4 downloads and 3 releases in the last 30 days",
    );
    const deadlines = page.getByRole("table", { name: "Pending deadlines, soonest first" });
    expect(await deadlines.getByRole("link", { name: a.legacy.name, exact: true }).getAttribute("href")).toBe(
      `/admin/pipelines/${a.legacy.name}`,
    );
    await deadlines.getByText("in 12 days").waitFor();
    // its trigger leads to the pipeline's triggers page, where someone checks in
    expect(await deadlines.getByRole("link", { name: /^switch/ }).getAttribute("href")).toBe(
      `/admin/pipelines/${a.legacy.name}/triggers`,
    );
    const failed = page.getByRole("table", { name: "Failed runs, newest first" });
    expect(await failed.getByRole("link").getAttribute("href")).toBe(
      `/admin/pipelines/${a.failing.name}/runs/${a.failing.runId}`,
    );
    await failed.getByText("not_found").waitFor();
    await checkPage(page, "dashboard-numbers");

    // an executor given the family archive and the legacy pipeline sees only those
    const keeper = `keeper-${dialect}@example.com`;
    const keeperId = (await owner.inviteUser({ body: { email: keeper, role: "executor" } })).id;
    for (const [action, resourceType, resourceId] of [
      ["bundles:read", "bundle", a.family.id],
      ["pipelines:write", "pipeline", a.legacy.name],
    ] as const)
      await owner.grantPermission({ params: { id: keeperId }, body: { action, resourceType, resourceId } });
    const second = await open();
    await second.page.goto(`${s.base}/admin/`);
    await signInByLink(second.page, s, keeper);
    await heading(second.page, "Dashboard").waitFor();
    const p2 = second.page;
    await p2
      .getByText("These figures cover only the bundles and pipelines you were given access to.")
      .waitFor();
    expect(
      await p2.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents(),
    ).not.toContain("Audit");
    await p2.getByText("Show the numbers: Bundles downloaded most").click();
    expect(await tableRows(p2.getByRole("table", { name: "Bundles downloaded most" }))).toEqual([
      [a.family.name, "3", "2"],
    ]);
    await p2.getByText("Show the numbers: Recipients downloading most").click();
    // no recipients:read: the recipients are not named
    expect(
      (await tableRows(p2.getByRole("table", { name: "Recipients downloading most" }))).map((r) =>
        r.slice(1),
      ),
    ).toEqual([
      ["2", "1"],
      ["1", "1"],
    ]);
    await p2.getByText("No run failed in the last 30 days.").waitFor();
    expect(
      await p2
        .getByRole("table", { name: "Pending deadlines, soonest first" })
        .locator("tbody th")
        .allTextContents(),
    ).toEqual([a.legacy.name]);
    await checkPage(p2, "dashboard-executor");
    // the audit log is not offered, and the server refuses it to this session
    await p2.goto(`${s.base}/admin/audit`);
    await p2.getByRole("heading", { name: "The audit log is not shared with you" }).waitFor();
    await checkPage(p2, "audit-executor");
    const status = await p2.evaluate(() => fetch("/api/v1/audit?limit=1").then((r) => r.status));
    expect(status).toBe(403);

    // an executor with nothing granted: the dashboard says whom to ask (the server would refuse the figures)
    const idle = `idle-${dialect}@example.com`;
    await owner.inviteUser({ body: { email: idle, role: "executor" } });
    const third = await open();
    await third.page.goto(`${s.base}/admin/`);
    await signInByLink(third.page, s, idle);
    await third.page.getByRole("heading", { name: "Nothing to show you yet" }).waitFor();
    await checkPage(third.page, "dashboard-nothing");
    expectError(await (await s.signIn(idle)).client().raw.getStatsOverview(), 403, "permission_denied");

    expect([...foreign, ...second.foreign, ...third.foreign]).toEqual([]);
    expect([...errors, ...second.errors, ...third.errors]).toEqual([]);
  });
});

/** A table's body rows as text (the row header first). */
async function tableRows(table: Locator): Promise<string[][]> {
  return table
    .locator("tbody tr")
    .evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll("th, td")].map((c) => (c.textContent ?? "").trim())),
    );
}
