import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionSettings, TOKEN_KEY } from "../src/client/editor.js";
import { edit, find } from "./fixtures.js";
import { LspSession } from "./lsp-client.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const require = createRequire(import.meta.url);

/** Lowest version a `^x.y.z` range accepts, as numbers. */
const floor = (range: string) =>
  range
    .replace(/^[\^~>=]*/, "")
    .split(".")
    .map(Number);
const atMost = (a: number[], b: number[]) => {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  return true;
};

describe("the extension manifest", () => {
  it("activates on YAML and on workspaces holding *.latchflow.yaml; main is the bundle", () => {
    expect(manifest.main).toBe("./dist/extension.cjs");
    expect(manifest.activationEvents).toEqual([
      "onLanguage:yaml",
      "workspaceContains:**/*.latchflow.{yaml,yml}",
    ]);
    expect(manifest.publisher).toBeTruthy();
  });

  it("commands activate the extension; those about the open pipeline show in the palette only for YAML", () => {
    // contributed commands activate an extension by themselves since VS Code 1.74 (no onCommand events needed)
    expect(atMost([1, 74, 0], floor(manifest.engines.vscode))).toBe(true);
    const palette = manifest.contributes.menus.commandPalette as { command: string; when: string }[];
    expect(palette.map((m) => [m.command, m.when])).toEqual(
      ["plan", "apply", "run", "runWithPayload", "showRuns", "showRunSteps"].map((c) => [
        `latchflow.${c}`,
        "editorLangId == yaml",
      ]),
    );
    // the language server's lenses name commands the extension contributes
    const lenses = readFileSync(join(ROOT, "src/language/lenses.ts"), "utf8");
    const declared = new Set(manifest.contributes.commands.map((c: { command: string }) => c.command));
    for (const [, command] of lenses.matchAll(/"(latchflow\.\w+)"/g))
      expect(declared.has(command)).toBe(true);
  });

  it("engines.vscode is at least what vscode-languageclient needs, and no lower than @types/vscode", () => {
    const client = JSON.parse(
      readFileSync(join(ROOT, "node_modules/vscode-languageclient/package.json"), "utf8"),
    ) as { engines: { vscode: string } };
    const engine = floor(manifest.engines.vscode);
    expect(atMost(floor(client.engines.vscode), engine)).toBe(true);
    expect(atMost(floor(manifest.devDependencies["@types/vscode"]), engine)).toBe(true);
  });

  it("contributes the server URL setting and exactly the commands the extension registers", () => {
    const source = readFileSync(join(ROOT, "src/client/extension.ts"), "utf8");
    const registered = [...source.matchAll(/registerCommand\(\s*"([^"]+)"/g)].map((m) => m[1]).sort();
    const declared = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    expect(declared).toEqual(registered);
    expect(declared).toEqual(
      [
        "latchflow.signIn",
        "latchflow.signOut",
        "latchflow.setToken",
        "latchflow.plan",
        "latchflow.apply",
        "latchflow.run",
        "latchflow.runWithPayload",
        "latchflow.showRuns",
        "latchflow.showRunSteps",
        "latchflow.validateWorkspace",
      ].sort(),
    );
    for (const c of manifest.contributes.commands)
      expect(c).toMatchObject({ category: "Latchflow", title: expect.any(String) });
    expect(manifest.contributes.configuration.properties["latchflow.server.url"]).toMatchObject({
      type: "string",
    });
    // the token is never a setting: it lives in SecretStorage
    expect(Object.keys(manifest.contributes.configuration.properties)).toEqual(["latchflow.server.url"]);
  });
});

describe("connection settings (the editor API faked at its seam)", () => {
  const editor = (url?: string, token?: string) => ({
    settings: { get: <T>(k: string) => (k === "server.url" ? url : undefined) as T },
    secrets: { get: async (k: string) => (k === TOKEN_KEY ? token : undefined) },
  });
  it("passes url (without trailing slashes) and token only when both are set", async () => {
    expect(await connectionSettings(editor(" https://lf.example/ ", "lf_x"))).toEqual({
      server: { url: "https://lf.example", token: "lf_x" },
    });
    expect(await connectionSettings(editor("https://lf.example"))).toEqual({});
    expect(await connectionSettings(editor("", "lf_x"))).toEqual({});
  });
});

describe("the .vsix (esbuild bundles, packaged offline with vsce)", { timeout: 120_000 }, () => {
  let vsix: string;
  let elsewhere: string;
  beforeAll(async () => {
    // @ts-expect-error: a plain JavaScript build script
    const { packageExtension } = (await import("../scripts/package.mjs")) as {
      packageExtension(): Promise<string>;
    };
    vsix = await packageExtension();
    elsewhere = mkdtempSync(join(tmpdir(), "latchflow-vsix-"));
  });
  afterAll(() => {
    if (elsewhere) rmSync(elsewhere, { recursive: true, force: true });
  });

  it("holds the manifest, the README and both bundles, under a marketplace-valid name", () => {
    const bytes = readFileSync(vsix);
    expect(bytes.subarray(0, 2).toString()).toBe("PK");
    for (const f of [
      "extension/package.json",
      "extension/readme.md",
      "extension/dist/extension.cjs",
      "extension/dist/server.cjs",
    ]) {
      expect(bytes.includes(f), f).toBe(true);
    }
    expect(bytes.includes("node_modules")).toBe(false);
    const staged = JSON.parse(readFileSync(join(ROOT, "dist/vsix/package.json"), "utf8"));
    expect(staged.name).toMatch(/^[a-z0-9][a-z0-9-]*$/);
    expect(staged.dependencies).toBeUndefined();
    expect(staged.main).toBe(manifest.main);
  });

  it("the extension bundle loads with only the editor API provided and exports activate/deactivate", () => {
    const code = readFileSync(join(ROOT, "dist/extension.cjs"), "utf8");
    const asked: string[] = [];
    // the editor API, faked: every member is a constructible, extensible stand-in (classes are extended at load)
    const editorApi: unknown = new Proxy(function EditorApi() {}, {
      get: (target, prop) => (prop === "prototype" ? target.prototype : editorApi),
    });
    const fakeRequire = (id: string) => {
      asked.push(id);
      if (id === "vscode") return editorApi;
      if (
        id.startsWith("node:") ||
        !id.includes("/") ||
        /^(fs|path|os|child_process|net|crypto|util|events|url|stream|assert)$/.test(id)
      ) {
        return require(id);
      }
      throw new Error(`the bundle requires ${id} at load time`);
    };
    const mod = { exports: {} as Record<string, unknown> };
    new Function("require", "module", "exports", "__filename", "__dirname", code)(
      fakeRequire,
      mod,
      mod.exports,
      "x",
      "/",
    );
    expect(typeof mod.exports.activate).toBe("function");
    expect(typeof mod.exports.deactivate).toBe("function");
    expect(asked).toContain("vscode");
  });

  it("the server bundle runs on its own (copied outside the repository, no node_modules) and validates", async () => {
    const server = join(elsewhere, "server.cjs");
    copyFileSync(join(ROOT, "dist/server.cjs"), server);
    const lsp = await LspSession.start({}, server);
    try {
      const uri = "file:///work/bundled.latchflow.yaml";
      const text = edit("uses: grant@1", "uses: grant@2");
      await lsp.open(uri, text);
      const { diagnostics } = await lsp.diagnostics(uri);
      const p = find(text, "grant@2");
      expect(diagnostics.find((d) => d.code === "unknown_capability")?.range.start).toEqual(p);
    } finally {
      await lsp.stop();
    }
  });
});
