// The admin app's pipelines (ADR 030) in a browser: a pipeline built in the builder (a manual trigger, a grant step
// with the bundle and recipient pickers, an `if:` whose error is fixed), saved and read back through the API; the
// YAML tab edited (a comment added, a value changed), the builder used again, and the comment still stored; a
// validation error shown in both views; the versions diff; enable and disable; steps moved by keyboard and by drag;
// and an executor without pipeline grants, neither offered editing nor allowed it. axe and screenshots on each state.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  eventually,
  hasFocus,
  launchChromium,
  newContext,
  recordForeignRequests,
  recordPageErrors,
} from "../browser.js";
import { MODES, OWNER_EMAIL, type Stack } from "../stack.js";
import { checkPage, signInByLink, startAdminStack } from "./browser.js";

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name });
const stepCard = (page: Page, i: number) => page.locator(`[data-stage="step-${i}"]`);

/** The stored source of a pipeline, as the API gives it. */
async function storedYaml(s: Stack, name: string): Promise<string> {
  const res = await s.client().getPipeline({ params: { name } });
  if (!(res instanceof Response)) throw new Error("expected the YAML source");
  return res.text();
}

/** A person's browser (its own cookies) at 1280 px, recording what the page may not do. */
async function openPage(browser: Browser, s: Stack, contexts: BrowserContext[]) {
  const context = await newContext(browser);
  contexts.push(context);
  const page = await context.newPage();
  return { page, foreign: recordForeignRequests(page, s.base), errors: recordPageErrors(page) };
}

/** The editor's YAML text (the textarea's value). */
const yamlText = (page: Page) => page.getByRole("textbox", { name: "Pipeline YAML" }).inputValue();

describe.each(MODES)("admin pipelines on %s + %s", (dialect, bus) => {
  let s: Stack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const open = () => openPage(browser, s, contexts);

  beforeAll(async () => {
    s = await startAdminStack("admin-pipelines", [dialect, bus]);
    browser = await launchChromium();
    const owner = s.client();
    await owner.createBundle({ body: { name: "family-archive", description: "Photos and letters" } });
    await owner.createRecipient({ body: { email: "alice@example.com", name: "Alice" } });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.stop();
  });

  it("builds a pipeline, round-trips it through the YAML tab, shows problems, diffs versions and disables it", {
    timeout: 420_000,
  }, async () => {
    const { page, foreign, errors } = await open();
    await page.goto(`${s.base}/admin/pipelines`);
    await signInByLink(page, s, OWNER_EMAIL);
    await heading(page, "Pipelines").waitFor();
    const nav = page.getByRole("navigation", { name: "Main" });
    await eventually(() => nav.getByRole("link", { name: "Pipelines" }).getAttribute("aria-current")).toBe(
      "page",
    );
    await page.getByRole("heading", { name: "No pipelines yet" }).waitFor();
    expect(await page.getByRole("link", { name: "How pipelines work" }).getAttribute("href")).toBe(
      "/admin/help#pipelines",
    );
    await checkPage(page, "pipelines-empty");

    // ---- a new pipeline in the builder: manual trigger ▶ grant step
    await page.getByRole("button", { name: "Create your first pipeline" }).click();
    await heading(page, "New pipeline").waitFor();
    const trigger = page.locator('[data-stage="trigger-0"]');
    expect(await trigger.getByRole("combobox", { name: "Starts when (required)" }).inputValue()).toBe(
      "manual@1",
    );
    await checkPage(page, "pipeline-new");

    await page.getByRole("textbox", { name: "Name (required)" }).fill("share-archive");
    await page.getByLabel("Description").fill("Give Alice the family archive when I press the button");
    await page.getByLabel("Add a step").selectOption("grant@1");
    await page.getByRole("button", { name: "Add step" }).click();
    const grant = stepCard(page, 0);
    await grant.getByRole("heading", { name: /Step 1\s+grant/ }).waitFor();
    await eventually(() => hasFocus(grant.getByRole("heading", { name: /Step 1/ }))).toBe(true);

    // the bundle picker: typed, then picked from the list
    const bundle = grant.getByRole("combobox", { name: "Bundle (required)" });
    await bundle.fill("fam");
    await expect.poll(() => bundle.getAttribute("aria-expanded")).toBe("true");
    await checkPage(page, "pipeline-new-bundle-picker");
    await grant.getByRole("option", { name: /family-archive/ }).click();
    expect(await bundle.inputValue()).toBe("family-archive");
    // the recipient picker, by keyboard
    const recipient = grant.getByRole("combobox", { name: "Add a recipient" });
    await recipient.fill("ali");
    await recipient.press("ArrowDown");
    await recipient.press("Enter");
    await eventually(() => grant.getByLabel("Recipients 1").inputValue()).toBe("alice@example.com");

    // an `if:` naming a step that does not run before this one: the spec's checker says so at the field
    const condition = grant.getByLabel("Run only if");
    await condition.fill('steps.notify.outcome == "succeeded"');
    await eventually(() => condition.getAttribute("aria-invalid")).toBe("true");
    const described = (await condition.getAttribute("aria-describedby")) ?? "";
    const message = page.locator(`[id="${described.split(" ").at(-1)}"]`);
    expect(await message.textContent()).toMatch(/notify/);
    await checkPage(page, "pipeline-new-if-error");
    await condition.fill('trigger.kind == "manual"');
    await eventually(() => condition.getAttribute("aria-invalid")).toBe(null);
    // the server's validator has nothing to say either
    const problems = page.getByRole("complementary", { name: "Problems" });
    await problems.getByText("No problems found.").waitFor({ timeout: 15_000 });
    await checkPage(page, "pipeline-new-filled");

    await page.getByRole("button", { name: "Create pipeline" }).click();
    await heading(page, "share-archive").waitFor();
    expect(new URL(page.url()).pathname).toBe("/admin/pipelines/share-archive");
    await page.getByRole("status").getByText("Created “share-archive”.").waitFor();
    const tabs = page.getByRole("navigation", { name: "Pipeline" });
    expect(await tabs.getByRole("link").allTextContents()).toEqual(["Edit", "Versions", "Runs", "Triggers"]);
    expect(await tabs.getByRole("link", { name: "Runs" }).getAttribute("href")).toBe(
      "/admin/pipelines/share-archive/runs",
    );

    const first = await storedYaml(s, "share-archive");
    expect(first).toContain("# A pipeline: its trigger starts a run, then its steps run in order.");
    expect(parse(first)).toEqual({
      apiVersion: "latchflow.dev/v1",
      kind: "Pipeline",
      metadata: {
        name: "share-archive",
        description: "Give Alice the family archive when I press the button",
      },
      spec: {
        triggers: [{ id: "start", uses: "manual@1" }],
        steps: [
          {
            id: "grant",
            uses: "grant@1",
            if: 'trigger.kind == "manual"',
            with: { bundle: "family-archive", recipients: ["alice@example.com"] },
          },
        ],
      },
    });
    await checkPage(page, "pipeline-edit");

    // ---- the YAML tab: a comment added by typing, a value changed
    await page.getByRole("tab", { name: "YAML" }).click();
    const code = page.getByRole("textbox", { name: "Pipeline YAML" });
    expect(await code.inputValue()).toBe(first);
    await code.focus();
    await page.keyboard.press("Control+Home");
    await page.keyboard.type("# Reviewed by the owner: only Alice gets it.");
    await page.keyboard.press("Enter");
    const edited = (await code.inputValue()).replace(
      "description: Give Alice the family archive when I press the button",
      "description: Give Alice the archive",
    );
    await code.fill(edited);
    await page.getByText("Unsaved changes").waitFor();
    // Tab indents; Escape then Tab leaves the editor
    await code.focus();
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Tab");
    expect(await yamlText(page)).toBe(`${edited}  `);
    await page.keyboard.press("Backspace");
    await page.keyboard.press("Backspace");
    await page.keyboard.press("Escape");
    await page.keyboard.press("Tab");
    expect(await hasFocus(code)).toBe(false);
    await checkPage(page, "pipeline-yaml");

    // back in the builder: the change is there; another field changed there
    await page.getByRole("tab", { name: "Builder" }).click();
    expect(await page.getByLabel("Description").inputValue()).toBe("Give Alice the archive");
    const grantCard = stepCard(page, 0);
    await grantCard.getByText(/Optional settings/).click();
    await grantCard.getByLabel("Max downloads").fill("3");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByText("All changes saved").waitFor();
    const second = await storedYaml(s, "share-archive");
    expect(second.startsWith("# Reviewed by the owner: only Alice gets it.\n# A pipeline:")).toBe(true);
    // only the two changed lines differ, the new key in its place
    expect(second).toBe(
      edited.replace(
        "        recipients: [alice@example.com]\n",
        "        recipients: [alice@example.com]\n        maxDownloads: 3\n",
      ),
    );

    // ---- a problem only the server finds, shown at the field and beside its line
    const bundleField = grantCard.getByRole("combobox", { name: "Bundle (required)" });
    await bundleField.fill("no-such-bundle");
    await eventually(() => bundleField.getAttribute("aria-invalid")).toBe("true");
    await grantCard.getByText("Bundle 'no-such-bundle' does not exist").waitFor();
    await checkPage(page, "pipeline-builder-error");
    await page.getByRole("tab", { name: "YAML" }).click();
    const line = (await yamlText(page)).split("\n").findIndex((l) => l.includes("no-such-bundle")) + 1;
    const list = page.getByRole("complementary", { name: "Problems" });
    const item = list.getByRole("button", { name: new RegExp(`Line ${line},.*no-such-bundle`) });
    await item.waitFor();
    // beside the line too (the layer under the text)
    await page.locator(".layer .line.bad", { hasText: "does not exist" }).waitFor();
    await item.click();
    await eventually(() => hasFocus(code)).toBe(true);
    const caretLine = await code.evaluate((el) => {
      const area = el as unknown as { value: string; selectionStart: number };
      return area.value.slice(0, area.selectionStart).split("\n").length;
    });
    expect(caretLine).toBe(line);
    await page
      .getByRole("status")
      .getByText(`Line ${line}: Bundle 'no-such-bundle' does not exist`)
      .waitFor();
    await checkPage(page, "pipeline-yaml-error");
    // saving is refused with the same problem; nothing stored
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page
      .getByRole("alert")
      .getByText(/Not saved: 1 problem needs fixing first/)
      .waitFor();
    expect(await storedYaml(s, "share-archive")).toBe(second);
    await page.getByRole("button", { name: "Discard changes" }).click();
    expect(await yamlText(page)).toBe(second);

    // ---- versions: version 2 against version 1
    await tabs.getByRole("link", { name: "Versions" }).click();
    await page.getByRole("heading", { name: "Compare" }).waitFor();
    const diff = page.getByRole("table", { name: "Changes from version 1 to version 2" });
    await diff.waitFor();
    const addedRows = diff.locator("tr.added");
    expect(await addedRows.allTextContents()).toEqual([
      expect.stringContaining("# Reviewed by the owner: only Alice gets it."),
      expect.stringContaining("description: Give Alice the archive"),
      expect.stringContaining("maxDownloads: 3"),
    ]);
    expect(await diff.locator("tr.removed").allTextContents()).toEqual([
      expect.stringContaining("description: Give Alice the family archive when I press the button"),
    ]);
    await page.getByRole("status").getByText("3 lines added, 1 line removed.").waitFor();
    await checkPage(page, "pipeline-versions");
    // against an unsaved draft
    await tabs.getByRole("link", { name: "Edit" }).click();
    await page.getByLabel("Description").fill("A draft description");
    await tabs.getByRole("link", { name: "Versions" }).click();
    await page.getByRole("table", { name: "Changes from version 2 to your draft" }).waitFor();
    await page.getByRole("status").getByText("1 line added, 1 line removed.").waitFor();
    await tabs.getByRole("link", { name: "Edit" }).click();
    expect(await page.getByLabel("Description").inputValue()).toBe("A draft description");
    await page.getByRole("button", { name: "Discard changes" }).click();

    // ---- disable and enable, on the pipeline and in the list
    await page.getByRole("button", { name: "Disable", exact: true }).click();
    await page.getByRole("status").getByText("“share-archive” is disabled.").waitFor();
    expect((await s.client().listPipelines()).items[0]?.enabled).toBe(false);
    await page.getByRole("link", { name: "Pipelines", exact: true }).first().click();
    await heading(page, "Pipelines").waitFor();
    const table = page.getByRole("table", { name: "Pipelines" });
    await table.getByText("Disabled").waitFor();
    expect(await table.getByRole("row").nth(1).textContent()).toContain("Manual (manual@1)");
    await checkPage(page, "pipelines");
    await page.getByRole("button", { name: "Enable share-archive" }).click();
    await table.getByText("Enabled").waitFor();
    expect((await s.client().listPipelines()).items[0]?.enabled).toBe(true);
    // the filter
    const filter = page.getByLabel("Filter");
    expect(await filter.getAttribute("data-shortcut")).toBe("search");
    expect(await page.getByRole("button", { name: "New pipeline" }).getAttribute("data-shortcut")).toBe(
      "new",
    );
    await filter.fill("nothing like it");
    await page.getByText("No pipeline matches “nothing like it”.").waitFor();
    await filter.fill("manual@1");
    await table.getByRole("link", { name: "share-archive" }).waitFor();

    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe("admin pipelines pieces (sqlite + in-process)", () => {
  let s: Stack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const open = () => openPage(browser, s, contexts);
  const TWO_STEPS = `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata:
  name: two-steps
spec:
  triggers:
    - id: go
      uses: manual@1
  steps:
    # tell first
    - id: tell
      uses: email@1
      with: { to: [guardian@example.com], subject: "Heads up", text: "..." }
    - id: again
      uses: email@1
      with: { to: [guardian@example.com], subject: "Again", text: "..." }
`;

  beforeAll(async () => {
    s = await startAdminStack("admin-pipelines-ui");
    browser = await launchChromium();
    const put = await s.client().raw.putPipeline({
      params: { name: "two-steps" },
      body: TWO_STEPS,
      contentType: "application/yaml",
    });
    expect(put.status).toBe(200);
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.stop();
  });

  it("moves steps with the keyboard and by dragging, keeping each step's own comment with it", {
    timeout: 240_000,
  }, async () => {
    const { page, errors } = await open();
    await page.goto(`${s.base}/admin/pipelines/two-steps`);
    await signInByLink(page, s, OWNER_EMAIL);
    await heading(page, "two-steps").waitFor();
    const again = stepCard(page, 1);
    await again.getByRole("button", { name: "Move up again" }).click();
    await stepCard(page, 0).getByRole("heading", { name: /again/ }).waitFor();
    // focus follows the step (now first: its Move down button, Move up being disabled)
    await eventually(() => hasFocus(stepCard(page, 0).getByRole("button", { name: "Move down again" }))).toBe(
      true,
    );
    await page
      .getByRole("status")
      .getByText("Moved step “again” to position 1 of 2.")
      .waitFor({ state: "attached" });
    await checkPage(page, "pipeline-moved");
    await page.getByRole("tab", { name: "YAML" }).click();
    expect(await yamlText(page)).toBe(
      TWO_STEPS.replace(/( {4}# tell first\n {4}- id: tell\n.*\n.*\n)( {4}- id: again\n.*\n.*\n)/, "$2$1"),
    );
    await page.getByRole("tab", { name: "Builder" }).click();
    // and back by dragging the second card's handle onto the first
    // (synthetic drag events: headless Chromium starts no native drag from mouse moves)
    const data = await page.evaluateHandle("new DataTransfer()");
    await stepCard(page, 1).locator(".handle").dispatchEvent("dragstart", { dataTransfer: data });
    await page.locator("ol.steps > li").first().dispatchEvent("dragover", { dataTransfer: data });
    await checkPage(page, "pipeline-dragging");
    await page.locator("ol.steps > li").first().dispatchEvent("drop", { dataTransfer: data });
    await stepCard(page, 1).locator(".handle").dispatchEvent("dragend", { dataTransfer: data });
    await stepCard(page, 0).getByRole("heading", { name: /tell/ }).waitFor();
    await page.getByRole("tab", { name: "YAML" }).click();
    expect(await yamlText(page)).toBe(TWO_STEPS);
    expect(errors).toEqual([]);
  });

  it("opens a pipeline named “new” at its own address; the new-pipeline page lives at /pipelines/-/new", {
    timeout: 120_000,
  }, async () => {
    const put = await s.client().raw.putPipeline({
      params: { name: "new" },
      body: TWO_STEPS.replace("name: two-steps", "name: new"),
      contentType: "application/yaml",
    });
    expect(put.status).toBe(200);
    const { page, errors } = await open();
    await page.goto(`${s.base}/admin/pipelines/new`);
    await signInByLink(page, s, OWNER_EMAIL);
    await page.getByRole("heading", { level: 1, name: "new", exact: true }).waitFor();
    await stepCard(page, 1).getByRole("heading", { name: /again/ }).waitFor();
    await page.goto(`${s.base}/admin/pipelines`);
    await page.getByRole("button", { name: "New pipeline" }).click();
    await page.waitForURL(`${s.base}/admin/pipelines/-/new`);
    expect(errors).toEqual([]);
  });

  it("offers an executor without pipeline grants no pipelines, and the server refuses them", {
    timeout: 180_000,
  }, async () => {
    const email = "pipeline-executor@example.com";
    await s.client().inviteUser({ body: { email, role: "executor" } });
    const { page, foreign, errors } = await open();
    await page.goto(`${s.base}/admin/pipelines`);
    await signInByLink(page, s, email);
    await page.getByRole("heading", { name: "No pipelines shared with you" }).waitFor();
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link", { name: "Pipelines" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: /New pipeline|Create/ }).count()).toBe(0);
    await checkPage(page, "pipelines-executor");
    await page.goto(`${s.base}/admin/pipelines/-/new`);
    await page.getByRole("heading", { name: "You may not create pipelines" }).waitFor();
    expect(await page.getByRole("button", { name: /Create pipeline|Save/ }).count()).toBe(0);
    await page.goto(`${s.base}/admin/pipelines/two-steps`);
    await page.getByRole("alert").getByText("You may not open the pipeline “two-steps”").waitFor();
    expect(await page.getByRole("tab", { name: "YAML" }).count()).toBe(0);
    await checkPage(page, "pipeline-executor-refused");

    // the server refuses what the page does not offer, with the page's own session
    const csrf = (await page.context().cookies()).find((c) => c.name === "lf_csrf")?.value ?? "";
    const statuses = await page.evaluate(
      async ({ csrf, yaml }) => {
        const call = (method: string, path: string, body?: string, type = "application/json") =>
          fetch(path, {
            method,
            headers: { "content-type": type, "x-csrf-token": decodeURIComponent(csrf) },
            ...(body ? { body } : {}),
          }).then((r) => r.status);
        return [
          await call("GET", "/api/v1/pipelines"),
          await call("GET", "/api/v1/pipelines/two-steps"),
          await call("PUT", "/api/v1/pipelines/two-steps", yaml, "application/yaml"),
          await call("PATCH", "/api/v1/pipelines/two-steps", JSON.stringify({ enabled: false })),
          await call("POST", "/api/v1/pipelines/validate", yaml, "application/yaml"),
        ];
      },
      { csrf, yaml: TWO_STEPS.replace("Heads up", "Hijacked") },
    );
    expect(statuses).toEqual([403, 403, 403, 403, 403]);
    expect(await storedYaml(s, "two-steps")).toBe(TWO_STEPS);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});
