// The server-side commands (`start`, `keys`, `audit`, `help`) as a prebuilt bundle of the workspace's TypeScript,
// run by plain `node` (ADR 077). Running the sources through tsx costs every server process ~25–35 MiB (tsx's
// loader thread is a second V8 isolate, and it keeps each module's source map). The bundle holds only the
// workspace's own code; every package from node_modules stays external and is imported by the absolute path it
// resolves to from the importing source, so it loads exactly as it would under tsx (same files, same instances)
// without pnpm's strict node_modules having to resolve it from cli/. Each source keeps its own `import.meta.url`,
// so paths built from it (the plugin host's script, the built-in plugins, the apps' folders) stay what they are.
// Dynamic imports become chunks (splitting): a distributed process still loads only its own service (ADR 053).
// Built by the package's `prepare` script and again, on first use, whenever a file it was built from changed.
// Plain JavaScript: it runs before tsx is loaded.

import { readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { bundleId, CLI, DIST, fresh, inputsOf, publishBundle, readPointer } from "./bundle-pointer.mjs";

const ENTRY = "src/main.ts";
const TARGET = "node22";
const BUILTINS = new Set(builtinModules);
/** marks esbuild's own resolution of a path, asked for by the plugin below */
const INNER = Symbol("inner");
const NODE_MODULES = `${sep}node_modules${sep}`;
/** what an `import.meta.resolve` the build could not resolve becomes; its presence fails the build */
const UNRESOLVED = "__latchflowUnresolvedImportMetaResolve";
const RESOLVE_CALL = /import\.meta\.resolve\(\s*"([^"]+)"\s*\)/g;

/**
 * Bundles the workspace's sources and nothing else: a bare import that resolves into node_modules becomes an
 * external import of that file's URL. `import.meta` in each source is replaced by its own values:
 * `import.meta.url`, `.filename` and `.dirname` by the source's, `import.meta.resolve("x")` by what `x` resolves
 * to from the source.
 */
function workspaceOnly(esbuild, externals) {
  return {
    name: "workspace-only",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === INNER || args.path.startsWith("node:") || BUILTINS.has(args.path))
          return undefined;
        const found = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: INNER,
        });
        if (found.errors.length > 0) return { errors: found.errors };
        if (found.external || !found.path.includes(NODE_MODULES)) return undefined; // a workspace package: bundled
        externals.add(found.path);
        return {
          path: args.kind === "require-call" ? found.path : pathToFileURL(found.path).href,
          external: true,
        };
      });
      build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
        let source = await readFile(args.path, "utf8");
        for (const [call, specifier] of source.matchAll(RESOLVE_CALL)) {
          const found = await build.resolve(specifier, {
            kind: "import-statement",
            resolveDir: dirname(args.path),
            pluginData: INNER,
          });
          if (found.errors.length > 0) return { errors: found.errors };
          source = source.replace(call, JSON.stringify(pathToFileURL(found.path).href));
        }
        const loader = /\.[cm]?ts$/.test(args.path) ? "ts" : "js";
        const { code } = await esbuild.transform(source, {
          loader,
          format: "esm",
          target: TARGET,
          sourcefile: args.path,
          define: {
            "import.meta.url": JSON.stringify(pathToFileURL(args.path).href),
            "import.meta.filename": JSON.stringify(args.path),
            "import.meta.dirname": JSON.stringify(dirname(args.path)),
            "import.meta.resolve": UNRESOLVED,
          },
        });
        if (code.includes(UNRESOLVED)) {
          return {
            errors: [{ text: "import.meta.resolve needs a string literal here: the bundle resolves it" }],
          };
        }
        // the TypeScript loader again (the code is plain JavaScript now): its `./x.js` imports find `./x.ts`
        return { contents: code, loader, resolveDir: dirname(args.path) };
      });
    },
  };
}

/** Builds the bundle into a new folder and points dist/launcher.json at it; resolves with the entry's path. */
export async function buildLauncherBundle() {
  const esbuild = await import("esbuild");
  const dir = bundleId("launcher");
  const externals = new Set();
  try {
    const result = await esbuild.build({
      absWorkingDir: CLI,
      entryPoints: [ENTRY],
      outdir: join(DIST, dir),
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: TARGET,
      // Node's conditions only: esbuild's default "module" would pick files Node never loads
      conditions: [],
      metafile: true,
      // the caller says what failed, in one line
      logLevel: "silent",
      plugins: [workspaceOnly(esbuild, externals)],
      banner: {
        js: [
          "// generated by cli/scripts/launcher-bundle.mjs from src/main.ts: do not edit",
          'import { createRequire as __latchflowRequire } from "node:module";',
          "const require = __latchflowRequire(import.meta.url);",
        ].join("\n"),
      },
    });
    // the workspace's sources, and the dependencies' files by absolute path (an install that moves one rebuilds)
    const inputs = await inputsOf([...Object.keys(result.metafile.inputs), ...[...externals].sort()]);
    return await publishBundle("launcher", dir, "main.js", inputs);
  } finally {
    // the server builds its plugins with esbuild later and starts the service again then
    await esbuild.stop();
  }
}

/**
 * The bundle's entry module (exports `main`), rebuilt first when a file it was built from changed. When it
 * cannot be built or loaded here (a read-only install), says why on stderr and resolves with undefined: the
 * caller then runs the sources through tsx.
 */
export async function loadLauncherBundle() {
  try {
    const pointer = await readPointer("launcher");
    const entry =
      pointer && fresh(pointer) ? join(DIST, pointer.dir, pointer.entry) : await buildLauncherBundle();
    return await import(pathToFileURL(entry).href);
  } catch (err) {
    // esbuild's failure lists every error (one per output file when the folder cannot be written): the first
    const reason = err?.errors?.[0]?.text ?? String(err?.message ?? err).split("\n")[0];
    process.stderr.write(
      `latchflow: running the TypeScript sources through tsx (the launcher bundle: ${reason})\n`,
    );
    return undefined;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildLauncherBundle();
}
