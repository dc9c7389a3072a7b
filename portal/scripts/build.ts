// `pnpm --filter @latchflow/portal build`: builds the portal when its sources changed (the same check and the
// same output as `latchflow start`), e.g. while building a container image whose code is read-only at run time.
import { ensurePortalBuilt } from "../app-files.js";

const build = await ensurePortalBuilt({ log: (line) => process.stdout.write(`${line}\n`) });
process.stdout.write(
  `${build.built ? "Built" : "Up to date:"} ${build.dir} (${(build.ms / 1000).toFixed(1)} s)\n`,
);
