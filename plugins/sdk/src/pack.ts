import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { buildPlugin, manifestFromBundle, PluginBuildError } from "./build.js";
import type { PluginManifest } from "./define-plugin.js";
import { type TarEntry, tar } from "./tar.js";

export interface PackOptions {
  /** The plugin's directory (holds `src/index.ts` and, optionally, `README.md`). */
  dir: string;
  /** The tarball to write; default `<dir>/<name>-<version>.tgz` (scope stripped). */
  outFile?: string;
  /** Entry to build, relative to `dir` (default `src/index.ts`); ignored when `bundle` is given. */
  entry?: string;
  /** Use this already built bundle instead of building `entry`. */
  bundle?: string;
}

export interface PackResult {
  file: string;
  /** `sha512-<base64>` of the tarball (Subresource Integrity format, as npm's `dist.integrity`). */
  integrity: string;
  manifest: PluginManifest;
}

/** Fields of the plugin folder's own `package.json` carried into the packed one (when present). */
const CARRIED_FIELDS = ["description", "license", "author", "repository", "homepage", "bugs"] as const;

/**
 * The packed `package/package.json`: what npm needs to publish the tarball (`npm publish <tgz>`), named and
 * versioned by the manifest (the folder's own `package.json` only lends its descriptive fields). No
 * dependencies: the bundle holds everything the plugin runs.
 */
async function packedPackageJson(dir: string, manifest: PluginManifest): Promise<Buffer> {
  const own: Record<string, unknown> = await readFile(join(dir, "package.json"), "utf8").then(
    (text) => JSON.parse(text) as Record<string, unknown>,
    (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return {};
      throw err;
    },
  );
  const carried = Object.fromEntries(
    CARRIED_FIELDS.filter((f) => own[f] !== undefined).map((f) => [f, own[f]]),
  );
  const pkg = {
    name: manifest.name,
    version: manifest.version,
    ...carried,
    keywords: ["latchflow-plugin"],
    main: "plugin.js",
    latchflow: { apiVersion: manifest.apiVersion },
  };
  return Buffer.from(`${JSON.stringify(pkg, null, 2)}\n`);
}

/**
 * Builds the plugin and writes a gzip'd ustar tarball with `package/package.json` (so plain `npm publish`
 * takes it), `package/latchflow-plugin.json`, `package/plugin.js` and `package/README.md` (when `dir` has one).
 */
export async function packPlugin(options: PackOptions): Promise<PackResult> {
  const dir = resolve(options.dir);
  let code: string;
  let manifest: PluginManifest | undefined;
  if (options.bundle !== undefined) {
    code = await readFile(resolve(dir, options.bundle), "utf8");
    manifest = manifestFromBundle(code);
  } else {
    ({ code, manifest } = await buildPlugin({ entry: resolve(dir, options.entry ?? "src/index.ts") }));
  }
  if (manifest === undefined) {
    throw new PluginBuildError("the plugin has no manifest: its entry must call definePlugin(...)");
  }
  const entries: TarEntry[] = [
    { name: "package/package.json", data: await packedPackageJson(dir, manifest) },
    { name: "package/latchflow-plugin.json", data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) },
    { name: "package/plugin.js", data: Buffer.from(code) },
  ];
  const readme = await readFile(join(dir, "README.md")).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (readme !== undefined) entries.push({ name: "package/README.md", data: readme });
  const tarball = gzipSync(tar(entries), { level: 9 });
  const file = resolve(
    options.outFile ?? join(dir, `${manifest.name.replace(/^@[^/]+\//, "")}-${manifest.version}.tgz`),
  );
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, tarball);
  return { file, integrity: integrityOf(tarball), manifest };
}

/** `sha512-<base64>` of some bytes. */
export function integrityOf(data: Uint8Array): string {
  return `sha512-${createHash("sha512").update(data).digest("base64")}`;
}
