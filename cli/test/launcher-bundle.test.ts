// The server's commands run from a bundle of the workspace's sources by plain `node`, not through tsx (ADR 077):
// tsx's loader thread and source maps cost every server process ~25–35 MiB.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, stop } from "esbuild";
import { describe, expect, it } from "vitest";
import { BIN } from "./cli-process.js";

const DIST = fileURLToPath(new URL("../dist", import.meta.url));

/** a preload that prints the URL of every module the process loaded, as JSON on stderr, when it exits */
const RECORD_LOADS = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from "node:module";
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
process.on("exit", () => process.stderr.write("LOADED " + JSON.stringify(loaded) + "\\n"));
`)}`;

/** `latchflow help`, with the modules it loaded */
function helpLoads(env: Record<string, string>): { status: number | null; stdout: string; loaded: string[] } {
  const r = spawnSync(process.execPath, ["--import", RECORD_LOADS, BIN, "help"], {
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  const line = r.stderr.split("\n").find((l) => l.startsWith("LOADED "));
  return { status: r.status, stdout: r.stdout, loaded: JSON.parse(line?.slice(7) ?? "[]") as string[] };
}

/** The specifier of every import in the bundle's chunks, parsed by esbuild (a template's text is not an import). */
async function importsOf(dir: string): Promise<string[]> {
  const chunks = readdirSync(dir).filter((f) => f.endsWith(".js"));
  const result = await build({
    entryPoints: chunks.map((f) => join(dir, f)),
    bundle: true,
    write: false,
    metafile: true,
    outdir: join(dir, "analysed"),
    format: "esm",
    platform: "node",
    logLevel: "silent",
    plugins: [
      {
        name: "everything-external",
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) =>
            args.kind === "entry-point" ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  await stop();
  return Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
}

const TSX = /\/node_modules\/(\.pnpm\/tsx@[^/]+\/node_modules\/)?tsx\//;

describe("the launcher bundle", () => {
  it("`latchflow help` runs from the bundle and never loads tsx", () => {
    const r = helpLoads({});
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("start --service <name>");
    expect(r.loaded.some((url) => url.includes("/cli/dist/launcher-"))).toBe(true);
    expect(r.loaded.filter((url) => TSX.test(url))).toEqual([]);
    // no TypeScript source is loaded as such: the workspace's code is in the bundle
    expect(r.loaded.filter((url) => url.endsWith(".ts"))).toEqual([]);
  }, 60_000);

  it("with LATCHFLOW_CLI_BUNDLE=off the same command runs the sources through tsx", () => {
    const r = helpLoads({ LATCHFLOW_CLI_BUNDLE: "off" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("start --service <name>");
    expect(r.loaded.some((url) => TSX.test(url))).toBe(true);
    expect(r.loaded.some((url) => url.endsWith("/cli/src/main.ts"))).toBe(true);
  }, 60_000);

  it("imports every dependency by the file it resolves to, and records those files as inputs", async () => {
    // the pointer the run above left (or a newer one): the bundle it names is whole
    const pointer = JSON.parse(readFileSync(join(DIST, "launcher.json"), "utf8")) as {
      dir: string;
      inputs: [string, number, number][];
    };
    const specifiers = await importsOf(join(DIST, pointer.dir));
    // only Node's built-ins, the bundle's own chunks, and files in node_modules by URL: nothing pnpm's strict
    // node_modules would have to resolve from cli/
    const bare = specifiers.filter(
      (s) => !s.startsWith("node:") && !s.startsWith("./") && !s.startsWith("file:///"),
    );
    expect(bare).toEqual([]);
    const dependencies = specifiers.filter((s) => s.startsWith("file:///"));
    expect(dependencies.some((s) => s.includes("/node_modules/@grpc/grpc-js/"))).toBe(true);
    expect(dependencies.every((s) => s.includes("/node_modules/"))).toBe(true);
    const inputs = pointer.inputs.map(([p]) => p);
    expect(inputs).toContain("src/main.ts");
    expect(inputs).toContain("../kernel/runtime/src/index.ts");
    expect(inputs.some((p) => p.startsWith("/") && p.includes("/node_modules/@grpc/grpc-js/"))).toBe(true);
  }, 60_000);
});
