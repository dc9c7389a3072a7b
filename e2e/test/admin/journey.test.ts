// One admin's whole journey across the pages, as issue 14 tells it: a pipeline built in the builder (manual
// trigger ▶ grant step, bundle and recipient picked), stored as YAML, run by hand from its Triggers tab, its timeline
// watched to the end, and every step of that run found in the audit viewer by the pipeline's name. The pages'
// details are tested in their own files; this one checks that they lead into each other.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  eventually,
  launchChromium,
  newContext,
  recordForeignRequests,
  recordPageErrors,
} from "../browser.js";
import { MODES, OWNER_EMAIL, type Stack } from "../stack.js";
import { signInByLink, startAdminStack } from "./browser.js";

describe("an admin's journey: builder → run → timeline → audit", () => {
  let s: Stack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const heading = (page: Page, level: number, name: string) => page.getByRole("heading", { level, name });

  beforeAll(async () => {
    s = await startAdminStack("admin_journey", MODES[0]);
    browser = await launchChromium();
    const owner = s.client();
    await owner.createBundle({ body: { name: "journey-archive" } });
    await owner.createRecipient({ body: { email: "june@example.com", name: "June" } });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.stop();
  });

  it("builds, runs, watches and finds the run in the audit log", { timeout: 300_000 }, async () => {
    const context = await newContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    const foreign = recordForeignRequests(page, s.base);
    const errors = recordPageErrors(page);
    await page.goto(`${s.base}/admin/pipelines/-/new`);
    await signInByLink(page, s, OWNER_EMAIL);
    await heading(page, 1, "New pipeline").waitFor();

    // the builder: name, a grant step with the bundle and the recipient picked from the lists
    await page.getByRole("textbox", { name: "Name (required)" }).fill("journey");
    await page.getByLabel("Add a step").selectOption("grant@1");
    await page.getByRole("button", { name: "Add step" }).click();
    const grant = page.locator('[data-stage="step-0"]');
    const bundle = grant.getByRole("combobox", { name: "Bundle (required)" });
    await bundle.fill("journey");
    await grant.getByRole("option", { name: /journey-archive/ }).click();
    const recipient = grant.getByRole("combobox", { name: "Add a recipient" });
    await recipient.fill("june");
    await recipient.press("ArrowDown");
    await recipient.press("Enter");
    await eventually(() => grant.getByLabel("Recipients 1").inputValue()).toBe("june@example.com");
    await page.getByRole("complementary", { name: "Problems" }).getByText("No problems found.").waitFor();
    await page.getByRole("button", { name: "Create pipeline" }).click();
    await heading(page, 1, "journey").waitFor();

    // stored as YAML with the step as built
    const res = await s.client().getPipeline({ params: { name: "journey" } });
    if (!(res instanceof Response)) throw new Error("expected the YAML source");
    const doc = parse(await res.text());
    expect(doc.spec.steps[0]).toMatchObject({
      uses: "grant@1",
      with: { bundle: "journey-archive", recipients: ["june@example.com"] },
    });

    // run it by hand from the Triggers tab, then follow the run to its end
    await page.getByRole("navigation", { name: "Pipeline" }).getByRole("link", { name: "Triggers" }).click();
    await heading(page, 2, "Triggers").waitFor();
    const runNow = page.getByRole("button", { name: "Run now" });
    await runNow.click();
    await page.getByRole("status").getByText("Run started").waitFor();
    await page.getByRole("link", { name: "Open its timeline" }).click();
    await page.waitForURL(/\/admin\/pipelines\/journey\/runs\/[0-9A-Z]+$/);
    await page.getByText("This run is finished.").waitFor({ timeout: 30_000 });
    await eventually(() => page.locator('p[role="status"][aria-live="polite"]').textContent()).toContain(
      "The run succeeded.",
    );
    const runId = new URL(page.url()).pathname.split("/").at(-1) ?? "";
    // the grant happened: June holds the bundle
    const owner = s.client();
    const archive = (await owner.listBundles({})).items.find((b) => b.name === "journey-archive");
    const june = (await owner.listRecipients({})).items.find((r) => r.email === "june@example.com");
    const assigned = (await owner.listAssignments({ params: { id: archive!.id } })).items;
    expect(assigned.map((a) => a.recipientId)).toEqual([june!.id]);

    // the audit viewer, filtered by the pipeline's name: the run and its step, start to end
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
    await heading(page, 1, "Audit log").waitFor();
    const form = page.getByRole("form", { name: "Filters" });
    await form.getByLabel("Pipeline", { exact: true }).fill("journey");
    await form.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/pipeline=journey/);
    const records = page.getByRole("list", { name: /Records/ });
    for (const type of [
      "pipelines.pipeline.saved",
      "pipelines.run.started",
      "pipelines.step.started",
      "pipelines.step.succeeded",
      "pipelines.run.succeeded",
    ]) {
      await eventually(() => records.getByText(type, { exact: true }).count()).toBeGreaterThan(0);
    }
    // and the server agrees: every record of that run is there
    // (the audit log is written from the bus: eventually, not at once)
    const typesOfRun = async () =>
      (await owner.listAuditRecords({ query: { pipeline: "journey", limit: 200 } })).items
        .filter((r) => (r.data as { runId?: string } | null)?.runId === runId)
        .map((r) => r.type)
        .sort();
    await eventually(typesOfRun).toEqual([
      "pipelines.run.started",
      "pipelines.run.succeeded",
      "pipelines.step.started",
      "pipelines.step.succeeded",
      "pipelines.trigger.fired",
    ]);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});
