// Packages the extension as a .vsix, offline: the esbuild bundles (scripts/build.mjs), the README and a
// manifest derived from package.json without the workspace's dependencies (everything is in the bundles) and
// with a marketplace-valid name. `node scripts/package.mjs` → dist/latchflow-pipelines-<version>.vsix.
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildExtension } from "./build.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The manifest of the .vsix: package.json's editor-facing fields only. */
export function vsixManifest(pkg) {
  const {
    dependencies: _d,
    devDependencies: _dd,
    exports: _e,
    scripts: _s,
    private: _p,
    type: _t,
    ...rest
  } = pkg;
  return { ...rest, name: "latchflow-pipelines" };
}

export async function packageExtension() {
  await buildExtension();
  const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
  const stage = join(ROOT, "dist", "vsix");
  await rm(stage, { recursive: true, force: true });
  await mkdir(join(stage, "dist"), { recursive: true });
  await writeFile(join(stage, "package.json"), `${JSON.stringify(vsixManifest(pkg), null, 2)}\n`);
  await copyFile(join(ROOT, "README.md"), join(stage, "README.md"));
  for (const f of ["extension.cjs", "server.cjs"])
    await copyFile(join(ROOT, "dist", f), join(stage, "dist", f));
  await writeFile(join(stage, ".vscodeignore"), await readFile(join(ROOT, ".vscodeignore"), "utf8"));
  const packagePath = join(ROOT, "dist", `latchflow-pipelines-${pkg.version}.vsix`);
  const { createVSIX } = await import("@vscode/vsce");
  await createVSIX({
    cwd: stage,
    packagePath,
    dependencies: false,
    skipLicense: true,
    allowMissingRepository: true,
  });
  return packagePath;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${await packageExtension()}\n`);
}
