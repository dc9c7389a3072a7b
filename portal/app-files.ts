/**
 * The portal's built files, for the launcher: where they are, and a build when they are missing or older than
 * their sources (ADR 024; the build machinery is shared with the admin app in @latchflow/app-build). Node only;
 * the app itself lives in `src/`.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AppBuild,
  appBuildDir,
  appSourceHash,
  ensureAppBuilt,
  type StaticAppSpec,
} from "@latchflow/app-build";

export { CSP_FILE } from "@latchflow/app-build";

const root = dirname(fileURLToPath(import.meta.url));

/** Everything a build reads besides node_modules: the app, its messages and config, the API client, this file. */
const spec: StaticAppSpec = {
  title: "the recipient portal",
  root,
  outEnv: "LATCHFLOW_PORTAL_OUT",
  sources: [
    join(root, "src"),
    join(root, "static"),
    join(root, "messages"),
    join(root, "project.inlang", "settings.json"),
    join(root, "vite.config.ts"),
    join(root, "package.json"),
    fileURLToPath(import.meta.url),
    dirname(fileURLToPath(import.meta.resolve("@latchflow/app-build"))),
    dirname(fileURLToPath(import.meta.resolve("@latchflow/api"))),
  ],
  // generated during the build
  generated: [join(root, "src", "lib", "paraglide")],
};

/** The served folder: the SPA shell (`200.html`), its assets under `_app/`, and the static files. */
export const portalBuildDir = appBuildDir(spec);

export type PortalBuild = AppBuild;

/** A hash of the sources' paths and contents (not their times: a fresh clone's are all the same). */
export const portalSourceHash = (): Promise<string> => appSourceHash(spec);

/** Builds the portal into `build/` when it is missing or its stamp differs from the sources' hash. */
export const ensurePortalBuilt = (options: { log?: (line: string) => void } = {}): Promise<PortalBuild> =>
  ensureAppBuilt(spec, options);
