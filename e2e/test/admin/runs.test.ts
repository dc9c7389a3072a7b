// Runs and triggers in the admin app: a pipeline run by hand from its Triggers page with a JSON payload (refused
// when not JSON or not matching the trigger's schema), its timeline followed live while a step fails, waits and
// retries, the runs lists with their status filter; a dead-man switch checked in, paused and resumed from the page;
// an executor not offered (and refused) what it may not do. axe and screenshots on every page and state.
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { waitFor } from "@latchflow/testing";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  hasFocus,
  launchChromium,
  newContext,
  recordForeignRequests,
  recordPageErrors,
} from "../browser.js";
import { finished, putPipeline, startRun } from "../pipelines/helpers.js";
import { installSlow } from "../pipelines/slow-plugin.js";
import { MODES, OWNER_EMAIL, type Stack } from "../stack.js";
import { checkPage, signInByLink, startAdminStack } from "./browser.js";

/** A server whose first request fails (the connection is cut) and whose later ones wait until released. */
async function flakyGate() {
  let hits = 0;
  let open = false;
  const waiting: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    hits++;
    if (hits === 1) {
      req.socket.destroy();
      return;
    }
    if (open) res.end("released");
    else waiting.push(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wait`,
    hits: () => hits,
    release() {
      open = true;
      for (const res of waiting.splice(0)) res.end("released");
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Opens a person's browser (its own cookies) at 1280 px on the stack, recording what the page may not do. */
function opener(at: () => { s: Stack; browser: Browser }, contexts: BrowserContext[]) {
  return async () => {
    const { s, browser } = at();
    const context = await newContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    return { page, foreign: recordForeignRequests(page, s.base), errors: recordPageErrors(page) };
  };
}

const RELEASE = (gate: string) => `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: release, description: "Tell the heir, then wait for the archive service" }
spec:
  triggers:
    - id: by-hand
      uses: manual@1
      with:
        payloadSchema: { type: object, required: [name], properties: { name: { type: string } } }
  steps:
    - id: hello
      uses: email@1
      with: { to: [heir@example.com], subject: "Hello {{ trigger.payload.payload.name }}", text: "Soon." }
    - id: wait
      uses: latchflow-plugin-slow/wait@1
      with: { url: "${gate}" }
      retry: { maxAttempts: 10, backoff: fixed, initialInterval: 2s, maxInterval: 2s }
    - id: only-on-cron
      uses: email@1
      if: trigger.kind == "cron"
      with: { to: [never@example.com], subject: "no", text: "no" }
`;

describe.each(MODES)("admin runs and triggers on %s + %s", (dialect, bus) => {
  let s: Stack;
  let browser: Browser;
  let gate: Awaited<ReturnType<typeof flakyGate>>;
  const contexts: BrowserContext[] = [];
  const open = opener(() => ({ s, browser }), contexts);
  const heading = (page: Page, level: number, name: string) =>
    page.getByRole("heading", { level, name, exact: true });

  beforeAll(async () => {
    gate = await flakyGate();
    s = await startAdminStack("admruns", [dialect, bus], {
      LATCHFLOW_EGRESS_ALLOW_PRIVATE: "true",
      LATCHFLOW_KERNEL_POLL_MS: "100",
    });
    await installSlow(s);
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.stop();
    await gate?.close();
  });

  it("runs a pipeline by hand with a payload and follows its timeline live through a failed attempt and a retry", {
    timeout: 300_000,
  }, async () => {
    await putPipeline(s, "release", RELEASE(gate.url));
    const owner = s.client();
    const { page, foreign, errors } = await open();

    // no run yet: the empty state says how runs start and links to the help
    await page.goto(`${s.base}/admin/pipelines/release/runs`);
    await signInByLink(page, s, OWNER_EMAIL);
    await heading(page, 2, "Runs").waitFor();
    await page.getByRole("heading", { name: "No runs yet" }).waitFor();
    expect(await page.getByRole("link", { name: "How runs work" }).getAttribute("href")).toBe(
      "/admin/help#runs",
    );
    await checkPage(page, "runs-empty");

    // the Triggers page: the manual trigger's form, refusing what is not JSON, then what the schema refuses
    await page.goto(`${s.base}/admin/pipelines/release/triggers`);
    await heading(page, 2, "Triggers").waitFor();
    const manual = page.getByRole("region", { name: "by-hand" });
    await manual.getByText("Needs name (string).").waitFor();
    await checkPage(page, "triggers-manual");
    const payload = manual.getByLabel("Payload (JSON)");
    await payload.fill("{ name: Ann }");
    await manual.getByRole("button", { name: "Run now" }).click();
    await eventually(() => payload.getAttribute("aria-invalid")).toBe("true");
    const described = (await payload.getAttribute("aria-describedby")) ?? "";
    expect(await page.locator(`[id="${described.split(" ").at(-1)}"]`).textContent()).toContain(
      "This is not valid JSON",
    );
    expect(await hasFocus(payload)).toBe(true);
    await payload.fill('{ "name": 42 }');
    await manual.getByRole("button", { name: "Run now" }).click();
    await manual.getByText("name: must be string").waitFor();
    await checkPage(page, "triggers-manual-error");
    expect((await owner.listPipelineRuns({ params: { name: "release" } })).items).toEqual([]);

    await payload.fill('{ "name": "Ann" }');
    await manual.getByRole("button", { name: "Run now" }).click();
    await manual.getByRole("status").getByText("Run started").waitFor();
    expect(await payload.getAttribute("aria-invalid")).toBeNull();
    const [run] = (await owner.listPipelineRuns({ params: { name: "release" } })).items;
    expect(run?.trigger.kind).toBe("manual");

    // the timeline: the first attempt of `wait` fails (the connection is cut), the retry waits at the gate
    await manual.getByRole("link", { name: "Open its timeline" }).click();
    await page.waitForURL(`**/admin/pipelines/release/runs/${run!.id}`);
    await page.evaluate("window.__sameDocument = true");
    const step = (id: string) =>
      page
        .getByRole("listitem")
        .filter({ has: page.getByRole("heading", { level: 4, name: new RegExp(`^${id} `) }) });
    const attempts = page.getByRole("table", { name: "Attempts of step wait" });
    const result = (row: number, text: string) =>
      attempts.getByRole("row").nth(row).getByRole("cell", { name: text, exact: true });
    await result(1, "Failed").waitFor({ timeout: 30_000 });
    await waitFor(() => (gate.hits() >= 2 ? true : undefined), {
      timeoutMs: 30_000,
      description: "the second attempt to reach the gate",
    });
    await result(2, "Running").waitFor({ timeout: 15_000 });
    const firstError = await attempts.getByRole("row").nth(1).getByRole("cell").nth(4).textContent();
    expect(firstError?.trim()).not.toBe("—");
    await step("hello").getByRole("cell", { name: "Succeeded", exact: true }).waitFor();
    await step("hello").getByText("Outputs").click();
    await step("only-on-cron").getByText("Not started yet.").waitFor();
    await page.getByText("Updating live while the run is in progress.").waitFor();
    await checkPage(page, "run-timeline-running");

    // released: the step succeeds and the run ends, on the same page (no reload), announced politely (a held
    // attempt that outlived the host's 10 s fetch timeout while the page was checked is retried once more)
    gate.release();
    await attempts
      .getByRole("row")
      .last()
      .getByRole("cell", { name: "Succeeded", exact: true })
      .waitFor({ timeout: 20_000 });
    await page.getByText("This run is finished.").waitFor();
    await step("only-on-cron")
      .getByText('Skipped: its condition (if: trigger.kind == "cron") was false.')
      .waitFor();
    await eventually(() => page.locator('p[role="status"][aria-live="polite"]').textContent()).toContain(
      "The run succeeded.",
    );
    expect(await page.evaluate("window.__sameDocument")).toBe(true);
    await checkPage(page, "run-timeline-done");
    const stored = await finished(s, "release", run!.id);
    expect(stored.status).toBe("succeeded");
    expect(stored.trigger.payload).toMatchObject({ payload: { name: "Ann" } });
    const tries = stored.steps?.find((x) => x.stepId === "wait")?.attempts.map((a) => a.status) ?? [];
    expect(tries[0]).toBe("failed");
    expect(tries.at(-1)).toBe("succeeded");
    expect((await s.mail.waitFor("heir@example.com")).subject).toBe("Hello Ann");

    // the pipeline's runs, filtered by status
    await page.getByRole("link", { name: "All runs of release" }).click();
    const table = page.getByRole("table", { name: "Runs of release" });
    await table.getByText("Succeeded").waitFor();
    await checkPage(page, "runs-list");
    await page.getByLabel("Status").selectOption("failed");
    await page.getByText("No failed runs.").waitFor();
    expect(new URL(page.url()).searchParams.get("status")).toBe("failed");

    // all runs: a failed run of another pipeline is easy to find
    const doomed = await owner.createBundle({ body: { name: "doomed" } });
    await putPipeline(
      s,
      "broken",
      `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: broken }
spec:
  triggers: [{ id: go, uses: manual@1 }]
  steps: [{ id: pub, uses: publish@1, with: { bundle: doomed, expiresIn: 1d } }]
`,
    );
    await owner.deleteBundle({ params: { id: doomed.id } });
    const bad = await finished(s, "broken", (await startRun(s, "broken")).id);
    expect(bad.status).toBe("failed");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Runs" }).click();
    await heading(page, 1, "Runs").waitFor();
    const recent = page.getByRole("table", { name: "Recent runs" });
    await recent.getByRole("link", { name: "broken" }).waitFor();
    await recent.getByRole("link", { name: "release" }).waitFor();
    await page.getByLabel("Status").selectOption("failed");
    await eventually(() => recent.getByRole("link", { name: "release" }).count()).toBe(0);
    await recent.getByText("step pub:", { exact: false }).waitFor();
    await checkPage(page, "runs-all-failed");
    await recent.getByRole("link", { name: /^Run of / }).click();
    await page.getByRole("alert").getByText("The run failed.").waitFor();
    await step("pub").getByRole("cell", { name: "Failed", exact: true }).waitFor();

    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe("admin dead-man switch and an executor's limits (sqlite + in-process)", () => {
  let s: Stack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const open = opener(() => ({ s, browser }), contexts);

  beforeAll(async () => {
    s = await startAdminStack("admruns-deadman", MODES[0], { LATCHFLOW_KERNEL_POLL_MS: "100" });
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.stop();
  });

  const deadman = async () => {
    const { items } = await s.client().listPipelineTriggers({ params: { name: "legacy" } });
    return items.find((t) => t.id === "switch")?.status as {
      paused: boolean;
      pausedUntil?: string;
      lastCheckInAt?: string;
      deadline: string;
    } | null;
  };

  it("shows the switch's deadline and ladder, checks in, pauses after a confirmation and resumes", {
    timeout: 240_000,
  }, async () => {
    await putPipeline(
      s,
      "legacy",
      `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: legacy }
spec:
  triggers:
    - { id: switch, uses: deadman@1, with: { checkInEvery: 30d, grace: 7d, remind: [7d, 1d] } }
    - { id: weekly, uses: cron@1, with: { schedule: "0 9 * * 1" } }
    - { id: incoming, uses: webhook@1, with: { secretName: hook-key } }
  steps:
    - { id: tell, uses: email@1, with: { to: [heir@example.com], subject: "Released", text: "x" } }
`,
    );
    await waitFor(async () => ((await deadman()) ? true : undefined), {
      timeoutMs: 15_000,
      description: "the switch to be armed",
    });
    const { page, foreign, errors } = await open();
    await page.goto(`${s.base}/admin/pipelines/legacy/triggers`);
    await signInByLink(page, s, OWNER_EMAIL);
    const sw = page.getByRole("region", { name: "switch" });
    await sw.getByText("Armed", { exact: true }).waitFor();
    await sw.getByText("None yet").waitFor();
    expect(await sw.getByRole("listitem").allTextContents()).toEqual([
      expect.stringMatching(/Reminder 7d before the deadline, with a check-in link — in (29|30) d/),
      expect.stringMatching(/Reminder 1d before the deadline, with a check-in link — in (35|36) d/),
      expect.stringMatching(/Deadline: the pipeline fires unless you check in before/),
    ]);
    // the other kinds say what they are
    const weekly = page.getByRole("region", { name: "weekly" });
    await weekly.getByText("Next fire times").waitFor();
    expect(await weekly.getByRole("listitem").count()).toBe(5);
    const hook = page.getByRole("region", { name: "incoming" });
    await hook.getByText(`${s.base}/hooks/legacy/incoming`).waitFor();
    await checkPage(page, "triggers-deadman");

    await sw.getByRole("button", { name: "Check in now" }).click();
    await page.getByRole("status").getByText("Checked in. The deadline moved.").waitFor();
    await eventually(async () => typeof (await deadman())?.lastCheckInAt).toBe("string");
    await eventually(() => sw.getByText("None yet").count()).toBe(0);

    // pause: asked first ("Keep it running" changes nothing), then paused until the date picked
    await sw.getByRole("button", { name: "Pause…" }).click();
    const confirm = page.getByRole("dialog", { name: "Pause “switch”?" });
    await confirm.waitFor();
    await checkPage(page, "triggers-deadman-pause");
    await confirm.getByRole("button", { name: "Keep it running" }).click();
    await eventually(() => confirm.isVisible()).toBe(false);
    expect((await deadman())?.paused).toBe(false);
    await sw.getByRole("button", { name: "Pause…" }).click();
    await confirm.getByLabel("Paused until").fill("2001-01-01T10:00");
    await confirm.getByRole("button", { name: "Pause switch" }).click();
    await confirm.getByText("Pick a date and time in the future.").waitFor();
    await confirm.getByLabel("Paused until").fill("2099-06-01T10:00");
    await confirm.getByRole("button", { name: "Pause switch" }).click();
    await page.getByRole("status").getByText("The switch is paused.").waitFor();
    await sw.getByText(/^Paused until \w+ \d/).waitFor();
    const paused = await deadman();
    expect(paused?.paused).toBe(true);
    expect(paused?.pausedUntil?.startsWith("2099-06-01")).toBe(true);
    await checkPage(page, "triggers-deadman-paused");

    await sw.getByRole("button", { name: "Resume" }).click();
    await page.getByRole("status").getByText("The switch runs again.").waitFor();
    await sw.getByText("Armed", { exact: true }).waitFor();
    expect((await deadman())?.paused).toBe(false);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("offers an executor only the runs it may read, no Run button without pipelines:run, and the server refuses", {
    timeout: 240_000,
  }, async () => {
    const owner = s.client();
    await putPipeline(
      s,
      "by-hand",
      `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: by-hand }
spec:
  triggers: [{ id: go, uses: manual@1 }]
  steps: [{ id: tell, uses: email@1, with: { to: [x@example.com], subject: "x", text: "x" } }]
`,
    );
    const mine = await finished(s, "by-hand", (await startRun(s, "by-hand")).id);
    const email = "runs-executor@example.com";
    const user = await owner.inviteUser({ body: { email, role: "executor" } });
    await owner.grantPermission({
      params: { id: user.id },
      body: { action: "pipelines:write", resourceType: "pipeline", resourceId: "by-hand" },
    });

    const { page, foreign, errors } = await open();
    await page.goto(`${s.base}/admin/runs`);
    await signInByLink(page, s, email);
    await page.getByRole("heading", { level: 1, name: "Runs", exact: true }).waitFor();
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link").allTextContents()).toContain("Runs");
    const recent = page.getByRole("table", { name: "Recent runs" });
    await recent.getByRole("link", { name: "by-hand" }).waitFor();
    expect(await recent.getByRole("link", { name: "legacy" }).count()).toBe(0);
    await checkPage(page, "runs-executor");

    // may read the pipeline, may not run it: no form, a sentence instead
    await page.goto(`${s.base}/admin/pipelines/by-hand/triggers`);
    const go = page.getByRole("region", { name: "go" });
    await go.getByText("You may look at this pipeline but not start its runs").waitFor();
    expect(await page.getByRole("button", { name: "Run now" }).count()).toBe(0);
    await checkPage(page, "triggers-executor");

    // the server refuses what the page does not offer, from the page with its session
    const csrf = (await page.context().cookies()).find((c) => c.name === "lf_csrf")?.value ?? "";
    const statuses = await page.evaluate(async (csrf) => {
      const call = (method: string, path: string, body?: unknown) =>
        fetch(path, {
          method,
          headers: { "content-type": "application/json", "x-csrf-token": decodeURIComponent(csrf) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        }).then((r) => r.status);
      return [
        await call("POST", "/api/v1/pipelines/by-hand/runs", { payload: {} }),
        await call("GET", "/api/v1/pipelines/legacy/triggers"),
        await call("POST", "/api/v1/pipelines/legacy/triggers/switch/check-in", {}),
      ];
    }, csrf);
    expect(statuses).toEqual([403, 403, 403]);
    expect((await owner.listPipelineRuns({ params: { name: "by-hand" } })).items.map((r) => r.id)).toEqual([
      mine.id,
    ]);

    // an executor granted nothing: no Runs in the navigation, the page says whom to ask, the list is refused
    const idle = "runs-idle@example.com";
    await owner.inviteUser({ body: { email: idle, role: "executor" } });
    const second = await open();
    await second.page.goto(`${s.base}/admin/runs`);
    await signInByLink(second.page, s, idle);
    await second.page.getByRole("heading", { name: "No pipelines shared with you" }).waitFor();
    expect(
      await second.page.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents(),
    ).not.toContain("Runs");
    const refused = await second.page.evaluate(() => fetch("/api/v1/runs").then((r) => r.status));
    expect(refused).toBe(403);
    await checkPage(second.page, "runs-executor-empty");
    expect([...foreign, ...second.foreign]).toEqual([]);
    expect([...errors, ...second.errors]).toEqual([]);
  });
});
