import { mkdir, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { dirname, join, resolve } from "node:path";
import { runInNewContext } from "node:vm";
import * as esbuild from "esbuild";
import type { PluginManifest } from "./define-plugin.js";

export interface BuildOptions {
  /** The plugin's entry (TypeScript or JavaScript) that calls `definePlugin`. */
  entry: string;
  /** Where to write the bundle; omit to build in memory only. */
  outFile?: string;
  /** Where to write `latchflow-plugin.json`; default next to `outFile`; `false` to skip. */
  manifestFile?: string | false;
  minify?: boolean;
}

export interface BuildResult {
  /** The bundle: one classic script (IIFE), no `import`/`require`. */
  code: string;
  /** The manifest `definePlugin` computed, or undefined when the entry does not call it. */
  manifest: PluginManifest | undefined;
  outFile?: string;
  manifestFile?: string;
}

/** A build failure; `message` lists every esbuild error with its location. */
export class PluginBuildError extends Error {
  constructor(
    message: string,
    readonly errors: readonly string[] = [],
  ) {
    super(message);
    this.name = "PluginBuildError";
  }
}

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, m.replace(/^node:/, "")]));

/** True for `fs`, `node:fs`, `fs/promises`, `node:test`, … */
export function isNodeBuiltin(specifier: string): boolean {
  if (specifier.startsWith("node:")) return true;
  return BUILTINS.has(specifier) || BUILTINS.has(specifier.split("/")[0] ?? "");
}

/** esbuild plugin: any import of a Node built-in fails with the module's name. */
export const forbidNodeBuiltins: esbuild.Plugin = {
  name: "latchflow-forbid-node-builtins",
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === "entry-point" || !isNodeBuiltin(args.path)) return undefined;
      return {
        errors: [
          {
            text:
              `plugins cannot import the Node built-in module "${args.path}": ` +
              "the sandbox has no Node APIs (use the host capabilities: host.fetch, host.kv, …)",
          },
        ],
      };
    });
  },
};

/**
 * esbuild's service (a child process, ~30 MB resident) is stopped once no build has run for this long: a server
 * builds its built-in plugins once at start and never again. The next build starts the service anew.
 */
export const BUILD_SERVICE_IDLE_MS = 1_000;
let building = 0;
let idle: NodeJS.Timeout | undefined;

/** Runs one esbuild call, then stops esbuild's service when no other call has started within the idle time. */
async function withBuildService<T>(run: () => Promise<T>): Promise<T> {
  building++;
  clearTimeout(idle);
  try {
    return await run();
  } finally {
    if (--building === 0) {
      idle = setTimeout(() => {
        if (building === 0) void esbuild.stop();
      }, BUILD_SERVICE_IDLE_MS);
      idle.unref();
    }
  }
}

/** Bundles a plugin into one script for the sandbox (IIFE, platform neutral, es2022, nothing external). */
export async function buildPlugin(options: BuildOptions): Promise<BuildResult> {
  const entry = resolve(options.entry);
  let result: esbuild.BuildResult<{ write: false }>;
  try {
    result = await withBuildService(() =>
      esbuild.build({
        entryPoints: [entry],
        bundle: true,
        write: false,
        format: "iife",
        platform: "neutral",
        target: "es2022",
        mainFields: ["module", "main"],
        minify: options.minify ?? false,
        legalComments: "none",
        charset: "utf8",
        logLevel: "silent",
        plugins: [forbidNodeBuiltins],
      }),
    );
  } catch (err) {
    throw toBuildError(err);
  }
  const code = result.outputFiles[0]?.text ?? "";
  const leftover = /\b__require\b/.exec(code);
  if (leftover) {
    throw new PluginBuildError(
      `the bundle still loads modules at run time (${leftover[0]}): the sandbox has no module loader`,
    );
  }
  const manifest = manifestFromBundle(code);
  const out: BuildResult = { code, manifest };
  if (options.outFile !== undefined) {
    out.outFile = resolve(options.outFile);
    await mkdir(dirname(out.outFile), { recursive: true });
    await writeFile(out.outFile, code);
    const manifestFile =
      options.manifestFile === undefined
        ? join(dirname(out.outFile), "latchflow-plugin.json")
        : options.manifestFile;
    if (manifestFile !== false && manifest !== undefined) {
      out.manifestFile = resolve(manifestFile);
      await writeFile(out.manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
    }
  }
  return out;
}

/**
 * Evaluates a bundle's top level in a bare `node:vm` context (the author's own code, at build time; NOT a
 * security boundary) and returns the manifest `definePlugin` attached to `globalThis.plugin`.
 */
export function manifestFromBundle(code: string): PluginManifest | undefined {
  const context: { plugin?: { manifest?: unknown } } = {};
  try {
    runInNewContext(code, context, { timeout: 2_000, filename: "plugin.js" });
  } catch (err) {
    throw new PluginBuildError(
      `the plugin's top-level code failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const manifest = context.plugin?.manifest;
  return manifest === undefined ? undefined : (JSON.parse(JSON.stringify(manifest)) as PluginManifest);
}

function toBuildError(err: unknown): PluginBuildError {
  const failure = err as Partial<esbuild.BuildFailure>;
  if (!Array.isArray(failure.errors)) {
    return new PluginBuildError(`build failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const lines = failure.errors.map((e) => {
    const where = e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ` : "";
    return `${where}${e.text}`;
  });
  return new PluginBuildError(`plugin build failed:\n${lines.map((l) => `  ${l}`).join("\n")}`, lines);
}
