import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packPlugin } from "@latchflow/plugin-sdk/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineStack } from "../pipelines/helpers.js";
import type { Stack } from "../stack.js";
import { Session } from "./session.js";

const BROKEN = fileURLToPath(new URL("./fixtures/pipelines/broken.yaml", import.meta.url));

const manual = (name: string, subject = "hi") => `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata:
  name: ${name}
  description: run by hand
spec:
  triggers:
    - id: button
      uses: manual@1
  steps:
    - id: tell
      uses: email@1
      if: trigger.kind == "never"   # skipped: the run succeeds without a mail server
      with: { to: [guardian@example.com], subject: "${subject}", text: "..." }
`;

const deadman = `apiVersion: latchflow.dev/v1
kind: Pipeline
metadata: { name: legacy }
spec:
  enabled: true
  triggers:
    - id: switch
      uses: deadman@1
      with: { checkInEvery: 30d, grace: 7d }
  steps:
    - id: tell
      uses: email@1
      with: { to: [guardian@example.com], subject: "Release pending", text: "..." }
`;

describe("latchflow pipelines", { timeout: 180_000 }, () => {
  let stack: Stack;
  let s: Session;
  let dir: string;
  beforeAll(async () => {
    stack = await pipelineStack("sqlite", "in-process", "cli-pipelines");
    s = await Session.open(stack);
    dir = join(s.op.home, "pipelines");
    mkdirSync(dir);
    writeFileSync(join(dir, "share.yaml"), manual("share-now"));
    writeFileSync(join(dir, "legacy.yml"), deadman);
    writeFileSync(join(dir, "notes.txt"), "not a pipeline: directories hold *.yaml and *.yml only");
  });
  afterAll(async () => {
    s?.close();
    await stack?.stop();
  });

  it("validate reports file:line:col: code: message offline and exits 2; --json lists each diagnostic", async () => {
    const r = await s.cli(["pipelines", "validate", "-f", BROKEN], { env: { LATCHFLOW_SERVER: "" } });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${BROKEN}:8:13: unknown_capability: unknown trigger 'manul@1'`);
    expect(r.stdout).toContain(`${BROKEN}:12:16: bad_duration:`);
    expect(r.stderr).toContain("2 error(s) in 1 of 1 file(s)");

    const json = await s.cli(["pipelines", "validate", "-f", BROKEN, "-f", dir, "--json"]);
    expect(json.code).toBe(2);
    const report = (await s.commands.get("pipelines validate")!.output!.schema()).parse(
      JSON.parse(json.stdout),
    ) as {
      ok: boolean;
      files: {
        file: string;
        name: string | null;
        ok: boolean;
        diagnostics: { code: string; suggestion?: string }[];
      }[];
    };
    expect(report.ok).toBe(false);
    expect(report.files.map((f) => [f.name, f.ok])).toEqual([
      ["broken", false],
      ["legacy", true],
      ["share-now", true],
    ]);
    expect(report.files[0]!.diagnostics[0]).toMatchObject({
      code: "unknown_capability",
      suggestion: "manual@1",
    });

    expect(await s.ok(["pipelines", "validate", "-f", dir])).toBe("");
    await s.fails(["pipelines", "validate"], 2, "usage");
    await s.fails(["pipelines", "validate", "-f", join(dir, "missing.yaml")], 4, "not_found");
  });

  it("validate --remote checks against the server's capabilities: a disabled one is capability_disabled", async () => {
    // an installed plugin's capabilities start disabled
    const packed = await packPlugin({
      dir: fileURLToPath(new URL("../pipelines/fixtures/echo-v2", import.meta.url)),
      outFile: join(s.op.home, "echo.tgz"),
    });
    await stack.client().installPlugin({ body: readFileSync(packed.file), contentType: "application/gzip" });
    const file = join(s.op.home, "echo.yaml");
    writeFileSync(
      file,
      manual("echo-it").replace(
        /- id: tell[\s\S]*$/,
        "- id: echo\n      uses: latchflow-plugin-echo/echo@2\n      with: { message: hi }\n",
      ),
    );
    const remote = await s.cli(["pipelines", "validate", "-f", file, "--remote"]);
    expect(remote.code).toBe(2);
    expect(remote.stdout).toContain(
      `${file}:12:13: capability_disabled: action 'latchflow-plugin-echo/echo@2' is installed but disabled;`,
    );
    // offline only the built-ins are known
    const offline = await s.cli(["pipelines", "validate", "-f", file], { env: { LATCHFLOW_SERVER: "" } });
    expect(offline.code).toBe(2);
    expect(offline.stdout).toContain(`${file}:12:13: unknown_capability:`);
  });

  it("plan shows creates as a diff; apply refuses without a terminal or --yes; applying twice leaves an empty plan", async () => {
    const planned = await s.shaped("pipelines plan", ["-f", dir]);
    expect(planned).toMatchObject({
      summary: { create: 2, update: 0, delete: 0 },
      unchanged: [],
      untracked: [],
    });
    const text = await s.ok(["pipelines", "plan", "-f", dir]);
    expect(text).toContain(`+ create pipeline share-now (from ${join(dir, "share.yaml")})`);
    expect(text).toContain("+      uses: manual@1");
    expect(text).toContain("Plan: 2 to create, 0 to update, 0 to delete.");

    const refused = await s.cli(["pipelines", "apply", "-f", dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("no terminal to ask on");
    expect(refused.stderr).toContain("--yes");
    expect(await s.shaped("pipelines list", [])).toEqual({ items: [] });

    const applied = await s.shaped("pipelines apply", ["-f", dir, "--yes"]);
    expect(applied).toMatchObject({
      applied: [
        { name: "legacy", action: "create", version: 1, enabled: true },
        { name: "share-now", action: "create", version: 1, enabled: true },
      ],
    });
    const again = await s.cli(["pipelines", "apply", "-f", dir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("No changes: the server matches 2 pipeline file(s).");
    const empty = await s.shaped("pipelines plan", ["-f", dir]);
    expect(empty).toEqual({
      changes: [],
      unchanged: [
        { name: "legacy", file: join(dir, "legacy.yml"), version: 1 },
        { name: "share-now", file: join(dir, "share.yaml"), version: 1 },
      ],
      untracked: [],
      summary: { create: 0, update: 0, delete: 0 },
    });
  });

  it("plan shows changes (source and enabled) and, with --prune only, deletes", async () => {
    await s.ok(["pipelines", "disable", "legacy"]);
    writeFileSync(join(dir, "share.yaml"), manual("share-now", "hello"));
    const other = join(s.op.home, "other");
    mkdirSync(other);
    writeFileSync(join(other, "legacy.yaml"), deadman);

    const plan = await s.shaped<{
      summary: unknown;
      changes: { diff: string }[];
    }>("pipelines plan", ["-f", dir]);
    expect(plan.summary).toEqual({ create: 0, update: 2, delete: 0 });
    const [legacy, share] = plan.changes;
    expect(legacy).toMatchObject({
      name: "legacy",
      action: "update",
      sourceChanged: false,
      enabled: { from: false, to: true },
      server: { version: 1, enabled: false },
      diff: "",
    });
    expect(share).toMatchObject({ name: "share-now", sourceChanged: true, enabled: null });
    expect(share!.diff).toContain('-      with: { to: [guardian@example.com], subject: "hi", text: "..." }');
    expect(share!.diff).toContain(
      '+      with: { to: [guardian@example.com], subject: "hello", text: "..." }',
    );
    expect(share!.diff).toMatch(/^--- a\/share-now\tserver, version 1\n\+\+\+ b\/share-now\t/);

    // only legacy's file: share-now is untracked without --prune, a delete with it
    const kept = await s.cli(["pipelines", "plan", "-f", other]);
    expect(kept.stderr).toContain("in none of these files and are kept (--prune deletes them): share-now");
    const pruned = await s.ok(["pipelines", "plan", "-f", other, "--prune"]);
    expect(pruned).toContain("- delete pipeline share-now (server version 1, in no file: --prune)");
    expect(pruned).toContain("Plan: 0 to create, 1 to update, 1 to delete.");

    await s.ok(["pipelines", "apply", "-f", dir, "-y"]);
    expect(await s.shaped("pipelines plan", ["-f", dir])).toMatchObject({
      changes: [],
      unchanged: [
        { name: "legacy", version: 1 },
        { name: "share-now", version: 2 },
      ],
    });
    expect(await s.ok(["pipelines", "get", "share-now"])).toBe(readFileSync(join(dir, "share.yaml"), "utf8"));
  });

  it("get, list, enable/disable, run, runs, logs --follow and check-in, each with its --json shape", async () => {
    const doc = await s.shaped("pipelines get", ["share-now"]);
    expect(doc).toMatchObject({
      name: "share-now",
      version: 2,
      document: { metadata: { name: "share-now" } },
    });
    const listed = await s.shaped("pipelines list", []);
    expect(listed.items.map((p: { name: string }) => p.name).sort()).toEqual(["legacy", "share-now"]);

    const started = await s.shaped("pipelines run", ["share-now", "--payload", '{"note":"x"}']);
    expect(started).toMatchObject({ pipeline: "share-now", trigger: { uses: "manual@1" } });
    const follow = await s.cli(["pipelines", "logs", started.id, "--follow", "--interval", "0.2"]);
    expect(follow.code, follow.stderr).toBe(0);
    expect(follow.stdout).toContain(`run ${started.id} of share-now (version 2), fired by button (manual@1)`);
    expect(follow.stdout).toContain("step tell (email@1): skipped");
    expect(follow.stdout.trim().split("\n").at(-1)).toMatch(/run succeeded$/);
    const ended = await s.shaped("pipelines logs", [started.id, "--pipeline", "share-now"]);
    expect(ended).toMatchObject({ status: "succeeded", steps: [{ stepId: "tell", status: "skipped" }] });
    const history = await s.shaped("pipelines runs", ["share-now"]);
    expect(history.items.map((r: { id: string }) => r.id)).toEqual([started.id]);

    const followed = await s.shaped("pipelines run", ["share-now", "--follow", "--interval", "0.2"]);
    expect(followed.status).toBe("succeeded");

    const checkedIn = await s.shaped("pipelines check-in", ["legacy"]);
    expect(Date.parse((checkedIn as { deadline: string }).deadline)).toBeGreaterThan(
      Date.now() + 29 * 86_400_000,
    );
    await s.fails(["pipelines", "check-in", "share-now"], 2, "usage");

    const disabled = await s.shaped("pipelines disable", ["share-now"]);
    expect(disabled).toMatchObject({ name: "share-now", enabled: false });
    // a disabled pipeline does not run: conflict, exit 5
    await s.fails(["pipelines", "run", "share-now"], 5, "conflict");
    expect(await s.shaped("pipelines enable", ["share-now"])).toMatchObject({ enabled: true });
  });

  it("refuses: a token without pipelines:write (exit 3), an unknown pipeline (exit 4), a bad payload (exit 2)", async () => {
    const created = await s.shaped("tokens create", ["reader", "--scope", "bundles:read"]);
    const narrow = (created as { token: string }).token;
    await s.fails(["pipelines", "list"], 3, "permission_denied", { token: narrow });
    await s.fails(["pipelines", "apply", "-f", dir, "--yes"], 3, "permission_denied", { token: narrow });
    await s.fails(["pipelines", "get", "nope"], 4, "not_found");
    await s.fails(["pipelines", "logs", "01ARZ3NDEKTSV4RRFFQ69G5FAV"], 4, "not_found");
    await s.fails(["pipelines", "run", "share-now", "--payload", "{nope"], 2, "usage");
    await s.fails(["pipelines", "delete", "nope", "--yes"], 4, "not_found");
  });

  it("delete asks first (refused without a terminal) and deletes with --yes", async () => {
    const refused = await s.cli(["pipelines", "delete", "legacy"]);
    expect(refused.code).toBe(2);
    const deleted = await s.shaped("pipelines delete", ["legacy", "--yes"]);
    expect(deleted).toMatchObject({ name: "legacy" });
    expect((await s.shaped("pipelines plan", ["-f", dir])).summary).toEqual({
      create: 1,
      update: 0,
      delete: 0,
    });
  });

  it("checked the --json shape of every pipelines command", () => {
    s.exercised.add("pipelines validate"); // its --json exits 2 on the broken file, checked above
    expect(s.unexercised(["pipelines"])).toEqual([]);
  });
});
