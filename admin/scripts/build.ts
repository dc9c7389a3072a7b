// `pnpm --filter @latchflow/admin build`: builds the admin app when its sources changed (the same check and the
// same output as `latchflow start`), e.g. while building a container image whose code is read-only at run time.
import { ensureAdminBuilt } from "../app-files.js";

const build = await ensureAdminBuilt({ log: (line) => process.stdout.write(`${line}\n`) });
process.stdout.write(
  `${build.built ? "Built" : "Up to date:"} ${build.dir} (${(build.ms / 1000).toFixed(1)} s)\n`,
);
