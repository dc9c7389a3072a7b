// The extension's own logic as plain modules, the editor faked at its one seam (FakeEditor), against a real
// embedded server: sign-in with the device flow and sign-out, Plan as a diff view, Apply, Run (with a payload),
// the runs and a run's steps.
import { createClient } from "@latchflow/api/client";
import { abortableSleep } from "@latchflow/api/device-flow";
import { OWNER_EMAIL, OWNER_TOKEN, type Stack, startStack } from "@latchflow/e2e/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectedClient, NOT_CONNECTED, SIGNED_IN_KEY, TOKEN_KEY } from "../src/client/editor.js";
import { apply, checkPayload, type PipelineDocument, plan, run } from "../src/client/pipeline-commands.js";
import { formatElapsed, renderRun, showRuns } from "../src/client/runs.js";
import { CLIENT_ID, checkServerUrl, signIn, signOut } from "../src/client/sign-in.js";
import { VirtualDocuments } from "../src/client/virtual-documents.js";
import { FakeEditor } from "./fake-editor.js";
import { EXAMPLE } from "./fixtures.js";

/** Polls `check` until it answers something (the machine is slow and shared: no fixed sleeps). */
async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("extension commands against a real embedded server", { timeout: 120_000 }, () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack("sqlite", "in-process", "vscmd", { LATCHFLOW_KERNEL_POLL_MS: "50" });
    const api = stack.client();
    await api.createBundle({ body: { name: "family-archive" } });
    await api.createRecipient({ body: { email: "alice@example.com", name: "Alice" } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** The device flow's waits move the server's clock instead of the test's. */
  const poll = () => ({
    sleep: async (ms: number) => stack.advance(ms),
    now: () => stack.now().getTime(),
  });
  const userCode = (url: string) => new URL(url).searchParams.get("user_code")!;
  const decide = (url: string, decision: "approve" | "deny") =>
    stack.client().decideDeviceAuthorization({ params: { userCode: userCode(url) }, body: { decision } });

  describe("sign-in (device flow) and sign-out", () => {
    it("asks for the server, shows the code, opens the approval page, stores the token; sign-out revokes it", async () => {
      const editor = new FakeEditor();
      editor.answers.push(`${stack.base}/`);
      editor.buttons.set("Sign in to", "Copy code");
      editor.onOpenExternal = async (url) => {
        expect(url).toMatch(/\/device\?user_code=[A-Z0-9]{4}-[A-Z0-9]{4}$/);
        const info = await stack.client().getDeviceAuthorization({ params: { userCode: userCode(url) } });
        expect(info).toMatchObject({ clientId: CLIENT_ID, status: "pending" });
        await decide(url, "approve");
      };
      expect(await signIn(editor, poll())).toBe(true);

      expect(editor.settingsMap.get("server.url")).toBe(stack.base); // stored without the slash
      const token = editor.secretsMap.get(TOKEN_KEY)!;
      expect(token).toMatch(/^lf_/);
      expect(editor.secretsMap.get(SIGNED_IN_KEY)).toBe("1");
      expect(editor.restarts).toBe(1);
      const code = editor.said.find((s) => s.startsWith("info: Sign in to"))!;
      expect(code).toMatch(
        new RegExp(
          `^info: Sign in to ${stack.base}: approve the code ([A-Z0-9]{4}-[A-Z0-9]{4}) in the browser \\(${stack.base}/device\\)\\. \\[Copy code\\]$`,
        ),
      );
      expect(editor.said.slice(-1)).toEqual([`info: Signed in to ${stack.base} as ${OWNER_EMAIL} (owner).`]);
      expect(editor.clipboard).toEqual([code.match(/code (\S+) in/)![1]]);
      expect(await createClient({ baseUrl: stack.base, token }).getMe()).toMatchObject({
        email: OWNER_EMAIL,
      });
      expect((await stack.client().listTokens()).items.map((t) => t.name)).toContain(`device: ${CLIENT_ID}`);

      await signOut(editor);
      expect(editor.said.at(-1)).toBe(
        `info: Signed out of ${stack.base}: the token is revoked and forgotten.`,
      );
      expect(editor.secretsMap.size).toBe(0);
      expect(editor.restarts).toBe(2);
      expect((await createClient({ baseUrl: stack.base, token }).raw.getMe()).status).toBe(401);
      await signOut(editor);
      expect(editor.said.at(-1)).toBe("info: Not signed in to a Latchflow server.");
    });

    it("a denied code, a cancelled wait and an unreachable server are said plainly; nothing is stored", async () => {
      const denied = new FakeEditor();
      denied.settingsMap.set("server.url", stack.base);
      denied.onOpenExternal = (url) => decide(url, "deny").then(() => undefined);
      expect(await signIn(denied, poll())).toBe(false);
      expect(denied.said.at(-1)).toBe("error: Sign-in failed: the sign-in was denied in the browser.");

      const cancelled = new FakeEditor();
      cancelled.settingsMap.set("server.url", stack.base);
      const cancelling = {
        // the person presses Cancel on the progress notification while the flow waits
        sleep: (ms: number, signal?: AbortSignal) => {
          cancelled.progressController?.abort();
          return abortableSleep(ms, signal);
        },
      };
      expect(await signIn(cancelled, cancelling)).toBe(false);
      expect(cancelled.said.at(-1)).toBe("info: Sign-in cancelled.");

      const nowhere = new FakeEditor();
      nowhere.settingsMap.set("server.url", "http://127.0.0.1:9");
      expect(await signIn(nowhere, poll())).toBe(false);
      expect(nowhere.said.at(-1)).toMatch(/^error: Sign-in to http:\/\/127\.0\.0\.1:9 failed: /);

      const dismissed = new FakeEditor(); // no server set, the address box dismissed
      expect(await signIn(dismissed)).toBe(false);
      expect(dismissed.said).toEqual(["ask: Address of your Latchflow server"]);

      for (const e of [denied, cancelled, nowhere, dismissed]) expect(e.secretsMap.size).toBe(0);
      expect([
        checkServerUrl("latchflow.example.com"),
        checkServerUrl("ftp://x"),
        checkServerUrl(" "),
      ]).toEqual([
        "Not a URL: write it with https://",
        "The address starts with https:// (or http://)",
        "The server's address, e.g. https://latchflow.example.com",
      ]);
    });

    it("a token set by hand is only forgotten on sign-out, never revoked", async () => {
      const editor = new FakeEditor();
      editor.settingsMap.set("server.url", stack.base);
      editor.secretsMap.set(TOKEN_KEY, OWNER_TOKEN);
      await signOut(editor);
      expect(editor.said).toEqual([
        "info: Signed out: the API token is forgotten here (it was set by hand, not revoked).",
      ]);
      expect((await stack.client().getMe()).email).toBe(OWNER_EMAIL);
    });
  });

  describe("plan, apply, run, runs", () => {
    const connected = () => {
      const editor = new FakeEditor();
      editor.settingsMap.set("server.url", stack.base);
      editor.secretsMap.set(TOKEN_KEY, OWNER_TOKEN);
      return editor;
    };
    const manual = EXAMPLE.replace("name: family-legacy", "name: lsp-manual").replace(
      /uses: deadman@1[^\n]*\n {6}with:\n(?: {8}.*\n)+/,
      "uses: manual@1\n",
    );
    const doc = (text: string): PipelineDocument => ({
      uri: "file:///work/lsp-manual.latchflow.yaml",
      text,
      label: "lsp-manual.latchflow.yaml",
    });

    it("Plan opens a diff of the server's source against the document; Apply asks, then stores it", async () => {
      const editor = connected();
      const api = await connectedClient(editor);
      const docs = new VirtualDocuments();
      const server = "latchflow:/server/lsp-manual.latchflow.yaml";
      const lines = manual.split("\n").length - 1;

      await plan(editor, api, docs, doc(manual)); // new: the left side is empty
      expect(docs.get(server)).toBe("");
      await apply(editor, api, doc(manual)); // declined
      expect((await stack.client().raw.getPipeline({ params: { name: "lsp-manual" } })).status).toBe(404);
      editor.buttons.set("lsp-manual: new pipeline", "Apply");
      editor.confirms.push(true);
      await plan(editor, api, docs, doc(manual)); // "Apply" on the plan's notification
      await plan(editor, api, docs, doc(manual));
      const changed = manual
        .replace('subject: "Your archive"', 'subject: "Yours"')
        .replace("enabled: true", "enabled: false");
      await plan(editor, api, docs, doc(changed));
      expect(docs.get(server)).toBe(manual); // the left side: the stored source

      expect(editor.said).toEqual([
        `diff: ${server} ↔ file:///work/lsp-manual.latchflow.yaml (lsp-manual (not on the server) ↔ lsp-manual.latchflow.yaml)`,
        `info: lsp-manual: new pipeline, applying creates it (${lines} lines). [Apply]`,
        `confirm Apply: lsp-manual: new pipeline, applying creates it (${lines} lines).`,
        `diff: ${server} ↔ file:///work/lsp-manual.latchflow.yaml (lsp-manual (not on the server) ↔ lsp-manual.latchflow.yaml)`,
        `info: lsp-manual: new pipeline, applying creates it (${lines} lines). [Apply]`,
        `confirm Apply: lsp-manual: new pipeline, applying creates it (${lines} lines).`,
        "info: lsp-manual: applied, now version 1.",
        "info: lsp-manual: no changes (version 1 on the server).",
        `diff: ${server} ↔ file:///work/lsp-manual.latchflow.yaml (lsp-manual on the server (version 1) ↔ lsp-manual.latchflow.yaml)`,
        "info: lsp-manual: applying changes it (version 1 on the server): 2 lines added, 2 removed, and disables it. [Apply]",
      ]);
    });

    it("Apply refuses when the server changed after the plan, and says how many problems a refused document has", async () => {
      const editor = connected();
      const api = await connectedClient(editor);
      const edited = manual.replace('subject: "Your archive"', 'subject: "Yours"');
      // someone else stores a new version while the confirmation is open
      editor.confirm = async (message, action) => {
        editor.said.push(`confirm ${action}: ${message}`);
        await stack.client().putPipeline({
          params: { name: "lsp-manual" },
          body: manual.replace('text: "..."', 'text: "changed"'),
          contentType: "application/yaml",
        });
        return true;
      };
      await apply(editor, api, doc(edited));
      expect(editor.said.at(-1)).toBe(
        "error: lsp-manual changed on the server meanwhile (version 1 → version 2); nothing was applied: plan again.",
      );
      expect((await stack.client().listPipelines()).items.find((p) => p.name === "lsp-manual")?.version).toBe(
        2,
      );

      const refused = connected();
      refused.confirms.push(true);
      await apply(refused, api, doc(edited.replace("uses: grant@1", "uses: grnat@1")));
      expect(refused.said.at(-1)).toMatch(/^error: lsp-manual: .+ \(1 problem, see the Problems view\)$/);

      const offline = new FakeEditor();
      await plan(offline, await connectedClient(offline), new VirtualDocuments(), doc(manual));
      await run(offline, undefined, new VirtualDocuments(), doc(manual));
      await showRuns(offline, undefined, new VirtualDocuments(), "lsp-manual");
      expect(offline.said).toEqual([
        `error: ${NOT_CONNECTED}`,
        `error: ${NOT_CONNECTED}`,
        `error: ${NOT_CONNECTED}`,
      ]);
    });

    it("Run asks first; Run with a payload checks the JSON as it is typed; the runs and a run's steps", async () => {
      const runs = `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata:
  name: lsp-runs
spec:
  triggers:
    - id: go
      uses: manual@1
  steps:
    - id: tell
      uses: email@1
      with:
        to: [guardian@example.com]
        subject: "Run"
        text: "..."
`;
      await stack
        .client()
        .putPipeline({ params: { name: "lsp-runs" }, body: runs, contentType: "application/yaml" });
      const editor = connected();
      const api = await connectedClient(editor);
      const docs = new VirtualDocuments();
      const runDoc = {
        uri: "file:///work/lsp-runs.latchflow.yaml",
        text: runs,
        label: "lsp-runs.latchflow.yaml",
      };

      await run(editor, api, docs, runDoc); // declined
      expect((await stack.client().listPipelineRuns({ params: { name: "lsp-runs" } })).items).toEqual([]);
      editor.confirms.push(true);
      await run(editor, api, docs, runDoc);
      editor.answers.push('{ "note": ', '{ "note": "for Bob" }');
      await run(editor, api, docs, runDoc, true); // not JSON: nothing is sent
      editor.buttons.set("lsp-runs: run", "Show steps");
      await run(editor, api, docs, runDoc, true);
      expect(editor.validations).toEqual([expect.stringMatching(/^Not JSON: /), undefined]);
      expect([checkPayload(""), checkPayload("[1, 2]")]).toEqual([undefined, undefined]);

      const started = editor.said.filter((s) => s.startsWith("info: lsp-runs: run "));
      expect(started).toEqual([
        expect.stringMatching(
          /^info: lsp-runs: run \S{26} started \((queued|running|succeeded)\)\. \[Show steps\]$/,
        ),
        expect.stringMatching(
          /^info: lsp-runs: run \S{26} started \((queued|running|succeeded)\)\. \[Show steps\]$/,
        ),
      ]);
      const withPayload = started[1]!.match(/run (\S{26})/)![1]!;
      expect(editor.said.at(-1)).toBe(`open: latchflow:/runs/lsp-runs/${withPayload}.md`);

      // both runs end; the pick lists them newest first, and the chosen one's steps open as a document
      const ended = await eventually(async () => {
        const { items } = await stack.client().listPipelineRuns({ params: { name: "lsp-runs" } });
        return items.length === 2 && items.every((r) => r.status === "succeeded") ? items : undefined;
      }, "both runs to succeed");
      editor.choose = (items) => items[0]?.value;
      await showRuns(editor, api, docs, "lsp-runs");
      expect(editor.said.slice(-2)).toEqual([
        "pick: Runs of lsp-runs, newest first: choose one to see its steps",
        `open: latchflow:/runs/lsp-runs/${withPayload}.md`,
      ]);
      const items = editor.picked.at(-1)!;
      expect(items.map((i) => i.value)).toEqual(ended.map((r) => r.id));
      expect(items[0]).toMatchObject({
        label: `$(pass) succeeded · ${withPayload}`,
        description: "go (manual@1) · version 1",
        detail: expect.stringMatching(/^created \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · took .+$/),
      });
      const text = docs.get(`latchflow:/runs/lsp-runs/${withPayload}.md`)!;
      expect(text).toContain(`# Run ${withPayload}`);
      expect(text).toContain("| status | succeeded |");
      expect(text).toContain("| trigger | go (manual@1, ");
      expect(text).toMatch(/### tell — email@1\n\nsucceeded · 1 attempt · \S+/);
      expect(text).toMatch(/\| 1 \| succeeded \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \| .+ \| – \| – \|/);
      expect(text).toContain('"note": "for Bob"');

      const none = connected();
      await showRuns(none, api, docs, "lsp-manual");
      expect(none.said).toEqual(["info: lsp-manual has not run yet."]);
    });
  });
});

describe("a run's steps as a document", () => {
  it("each step with its attempts, durations, errors and next retry", () => {
    const text = renderRun({
      id: "01KRUN0000000000000000000A",
      pipeline: "p",
      pipelineVersion: 3,
      trigger: { id: "switch", uses: "deadman@1", kind: "fired", payload: null },
      status: "waiting",
      errorCode: "",
      errorMessage: "",
      createdAt: "2026-12-07T09:00:00.000Z",
      startedAt: "2026-12-07T09:00:01.000Z",
      finishedAt: null,
      wakeAt: "2026-12-07T09:00:41.000Z",
      steps: [
        {
          stepId: "call",
          uses: "http@1",
          status: "waiting",
          outputs: null,
          errorCode: "http_status",
          errorMessage: "503 | unavailable",
          startedAt: "2026-12-07T09:00:01.000Z",
          finishedAt: null,
          condition: "",
          attempts: [
            {
              number: 1,
              status: "failed",
              errorCode: "http_status",
              errorMessage: "503 | unavailable",
              startedAt: "2026-12-07T09:00:01.000Z",
              finishedAt: "2026-12-07T09:00:01.250Z",
              nextRetryAt: "2026-12-07T09:00:11.000Z",
            },
            {
              number: 2,
              status: "failed",
              errorCode: "http_status",
              errorMessage: "503",
              startedAt: "2026-12-07T09:00:11.000Z",
              finishedAt: "2026-12-07T09:00:13.400Z",
              nextRetryAt: "2026-12-07T09:00:41.000Z",
            },
          ],
        },
      ],
    });
    expect(text).toBe(
      [
        "# Run 01KRUN0000000000000000000A",
        "",
        "Pipeline **p**, version 3.",
        "",
        "| | |",
        "|---|---|",
        "| status | waiting |",
        "| trigger | switch (deadman@1, fired) |",
        "| created | 2026-12-07 09:00:00 UTC |",
        "| started | 2026-12-07 09:00:01 UTC |",
        "| finished | – |",
        "| wakes | 2026-12-07 09:00:41 UTC |",
        "",
        "## Steps",
        "",
        "### call — http@1",
        "",
        "waiting · 2 attempts · running",
        "",
        "Error: `http_status`: 503 | unavailable",
        "",
        "| attempt | status | started | took | error | next retry |",
        "|---|---|---|---|---|---|",
        "| 1 | failed | 2026-12-07 09:00:01 UTC | 250 ms | http_status: 503 \\| unavailable | 2026-12-07 09:00:11 UTC |",
        "| 2 | failed | 2026-12-07 09:00:11 UTC | 2.4 s | http_status: 503 | 2026-12-07 09:00:41 UTC |",
        "",
      ].join("\n"),
    );
    expect([
      formatElapsed(850),
      formatElapsed(61_000),
      formatElapsed(3_723_000),
      formatElapsed(90_061_000),
    ]).toEqual(["850 ms", "1 min 1 s", "1 h 2 min", "1 d 1 h"]);
  });
});
