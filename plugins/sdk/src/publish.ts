import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PluginBuildError } from "./build.js";
import { type PackOptions, packPlugin } from "./pack.js";

/** The registry variable the server installs from; `publish` honours it too, so both sides agree. */
export const REGISTRY_ENV = "LATCHFLOW_PLUGIN_REGISTRY";

export interface PublishOptions extends Omit<PackOptions, "outFile"> {
  /** Registry URL; default `$LATCHFLOW_PLUGIN_REGISTRY`, else npm's own configuration (`npm config get registry`). */
  registry?: string;
  /** npm dist-tag (default `latest`). */
  tag?: string;
  /** `public` or `restricted` (npm's `--access`, for scoped names on npmjs.org). */
  access?: string;
  /** The `npm` executable (default `npm` on PATH); credentials come from npm's config (`.npmrc`). */
  npm?: string;
  env?: NodeJS.ProcessEnv;
}

export interface PublishResult {
  name: string;
  version: string;
  /** sha512 of the tarball published: what the registry states as `dist.integrity` and the server verifies */
  integrity: string;
  /** the registry published to, or undefined for npm's configured one */
  registry: string | undefined;
}

function runNpm(npm: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(npm, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", (err) => reject(new PluginBuildError(`cannot run ${npm}: ${err.message}`)));
    child.once("close", (code) => {
      if (code === 0) resolve();
      else reject(new PluginBuildError(`npm publish failed (exit ${code}):\n${output.trim()}`));
    });
  });
}

/**
 * Packs the plugin (exactly as `pack` does) into a temp folder and publishes that tarball with
 * `npm publish <tgz>`, so npm's own authentication (`.npmrc` tokens, `npm login`) applies unchanged.
 */
export async function publishPlugin(options: PublishOptions): Promise<PublishResult> {
  const env = options.env ?? process.env;
  const registry = options.registry || env[REGISTRY_ENV] || undefined;
  if (registry !== undefined && !/^https?:\/\//.test(registry)) {
    throw new PluginBuildError(`the registry must be an http(s) URL, got "${registry}"`);
  }
  const temp = await mkdtemp(join(tmpdir(), "latchflow-publish-"));
  try {
    const { dir, entry, bundle, key } = options;
    const packed = await packPlugin({
      dir,
      ...(entry !== undefined ? { entry } : {}),
      ...(bundle !== undefined ? { bundle } : {}),
      ...(key !== undefined ? { key } : {}),
      outFile: join(temp, "plugin.tgz"),
    });
    const args = ["publish", packed.file, "--tag", options.tag ?? "latest"];
    if (registry !== undefined) args.push("--registry", registry);
    if (options.access !== undefined) args.push("--access", options.access);
    await runNpm(options.npm ?? "npm", args, env);
    return {
      name: packed.manifest.name,
      version: packed.manifest.version,
      integrity: packed.integrity,
      registry,
    };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
