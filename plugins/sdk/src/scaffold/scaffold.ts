import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { pluginNameProblem } from "@latchflow/spec/naming";
import { scaffoldFiles } from "./files.js";

export interface ScaffoldOptions {
  /** the folder to create (or an empty existing one) */
  dir: string;
  /** the package name; default `latchflow-plugin-<folder name>` (the folder name as is when it has the prefix) */
  name?: string;
}

/** Writes a new plugin into `dir`; returns the package name and the files written (relative to `dir`). */
export async function scaffoldPlugin(options: ScaffoldOptions): Promise<{ name: string; files: string[] }> {
  const dir = resolve(options.dir);
  const folder = basename(dir).toLowerCase();
  const name =
    options.name ?? (folder.startsWith("latchflow-plugin-") ? folder : `latchflow-plugin-${folder}`);
  if (!/^latchflow-plugin-[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new ScaffoldError(
      `cannot name the plugin ${JSON.stringify(name)}: use latchflow-plugin-<name> with lowercase letters, digits and dashes`,
    );
  }
  const problem = pluginNameProblem(name);
  if (problem !== undefined) throw new ScaffoldError(problem);
  const existing = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [];
    throw err;
  });
  if (existing.length > 0) throw new ScaffoldError(`${dir} is not empty: init writes into a new folder`);
  const files = scaffoldFiles({ name, sdkVersion: await sdkVersion() });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return { name, files: Object.keys(files) };
}

/** Refusals of `init` (bad name, folder not empty). */
export class ScaffoldError extends Error {
  override name = "ScaffoldError";
}

/** The SDK's own version, from its package.json (above src/scaffold/ in the repository, above dist/ installed). */
async function sdkVersion(): Promise<string> {
  for (const up of ["../package.json", "../../package.json"]) {
    const text = await readFile(new URL(up, import.meta.url), "utf8").catch(() => undefined);
    const manifest =
      text === undefined ? undefined : (JSON.parse(text) as { name?: string; version?: string });
    if (manifest?.name === "@latchflow/plugin-sdk" && manifest.version) return manifest.version;
  }
  throw new Error("cannot find the SDK's package.json");
}
