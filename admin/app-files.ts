/**
 * The admin app's built files, for the launcher: where they are, and a build when they are missing or older than
 * their sources (ADR 027; the same machinery as the portal's, @latchflow/app-build). Node only; the app itself
 * lives in `src/`.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type AppBuild, appBuildDir, ensureAppBuilt, type StaticAppSpec } from "@latchflow/app-build";

const root = dirname(fileURLToPath(import.meta.url));

/**
 * Everything a build reads besides node_modules: the app, its config, the API client, the pipeline spec, the builder,
 * this file.
 */
const spec: StaticAppSpec = {
  title: "the admin app",
  root,
  outEnv: "LATCHFLOW_ADMIN_OUT",
  sources: [
    join(root, "src"),
    join(root, "static"),
    join(root, "vite.config.ts"),
    join(root, "package.json"),
    fileURLToPath(import.meta.url),
    dirname(fileURLToPath(import.meta.resolve("@latchflow/app-build"))),
    dirname(fileURLToPath(import.meta.resolve("@latchflow/api"))),
    dirname(fileURLToPath(import.meta.resolve("@latchflow/spec/browser"))),
  ],
};

/** The served folder: the SPA shell (`200.html`), its assets under `_app/`, and the static files. */
export const adminBuildDir = appBuildDir(spec);

/** Builds the admin app into `build/` when it is missing or its stamp differs from the sources' hash. */
export const ensureAdminBuilt = (options: { log?: (line: string) => void } = {}): Promise<AppBuild> =>
  ensureAppBuilt(spec, options);
