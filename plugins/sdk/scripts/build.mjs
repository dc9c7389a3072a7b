// Builds the publishable package into dist/ (`pnpm --filter @latchflow/plugin-sdk build`, then `pnpm pack`):
// - dist/index.js: the sandbox-safe entry (definePlugin, contract types), ESM, platform neutral, with the
//   workspace code it uses (naming rule, permission vocabulary, message rules) bundled in: it is bundled again
//   into every plugin, so it must stay free of Node APIs;
// - dist/node.js: build, test, pack and the CLI's `main`, ESM for Node, with the sandbox runtime bundled in;
//   only esbuild and isolated-vm stay external (the package's real dependencies);
// - dist/index.d.ts, dist/node.d.ts: the types. tsc emits declarations of the SDK and of the few workspace
//   files it uses (tsconfig.build.json) under dist/types/, and their `@latchflow/*` imports become relative.
// The workspace itself never needs dist/: its package.json exports point at src/ (publishConfig swaps them).

import { execFileSync } from "node:child_process";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const REPO = resolve(ROOT, "../..");
const DIST = join(ROOT, "dist");
const TYPES = join(DIST, "types");
/** The workspace packages the SDK inlines, by name: their folder in the repository. */
/** The package's entry points (`exports`: `.`, `./node`, `./testing`, `./invocation`) and their sources. */
const ENTRIES = {
  index: "src/index.ts",
  node: "src/node.ts",
  testing: "src/test-harness.ts",
  invocation: "src/invocation.ts",
};
const INLINED = {
  "@latchflow/api": "api",
  "@latchflow/sandbox": "kernel/sandbox",
  "@latchflow/spec": "kernel/spec",
};

export async function buildSdk() {
  await rm(DIST, { recursive: true, force: true });
  const common = {
    absWorkingDir: ROOT,
    bundle: true,
    format: "esm",
    legalComments: "none",
    logLevel: "warning",
  };
  await Promise.all([
    build({
      ...common,
      entryPoints: ["src/index.ts"],
      outfile: "dist/index.js",
      platform: "neutral",
      target: "es2022",
    }),
    build({
      ...common,
      entryPoints: { node: ENTRIES.node, testing: ENTRIES.testing, invocation: ENTRIES.invocation },
      outdir: "dist",
      platform: "node",
      target: "node22",
      external: ["esbuild", "isolated-vm"],
    }),
  ]);
  const tsc = createRequire(join(REPO, "package.json")).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "inherit" });
  for (const file of await declarations(TYPES)) await writeFile(file, await relink(file));
  for (const [name, source] of Object.entries(ENTRIES)) {
    const types = `./types/plugins/sdk/${source.replace(/\.ts$/, ".js")}`;
    await writeFile(join(DIST, `${name}.d.ts`), `export * from "${types}";\n`);
  }
}

async function declarations(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await declarations(path)));
    else if (entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** Rewrites `@latchflow/<pkg>[/<sub>]` imports of one declaration file to the emitted files they name. */
async function relink(file) {
  const text = await readFile(file, "utf8");
  const replaced = [];
  for (const match of text.matchAll(/from "(@latchflow\/[a-z-]+)(\/[a-z-]+)?"/g)) {
    const [whole, pkg, sub = ""] = match;
    const folder = INLINED[pkg];
    if (folder === undefined) throw new Error(`${file}: ${pkg} is not one of the inlined packages`);
    const manifest = JSON.parse(await readFile(join(REPO, folder, "package.json"), "utf8"));
    const source = manifest.exports?.[`.${sub}`];
    if (typeof source !== "string") throw new Error(`${file}: ${pkg}${sub} is not exported`);
    const target = join(TYPES, folder, source.replace(/\.ts$/, ".d.ts"));
    await stat(target).catch(() => {
      throw new Error(`${file}: ${target} was not emitted; add it to tsconfig.build.json`);
    });
    let rel = relative(dirname(file), target).replace(/\.d\.ts$/, ".js");
    if (!rel.startsWith(".")) rel = `./${rel}`;
    replaced.push([whole, `from "${rel}"`]);
  }
  return replaced.reduce((t, [from, to]) => t.replaceAll(from, to), text);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildSdk();
  process.stdout.write(`built ${relative(process.cwd(), DIST) || "."}\n`);
}
