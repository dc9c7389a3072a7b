// Every REST operation, keyed by operationId: the typed client's methods and the OpenAPI document come from here.
// One file per area; each exports its operations (and the schemas other areas or clients reuse).
import * as assignments from "./assignments.js";
import * as audit from "./audit.js";
import * as auth from "./auth.js";
import * as bundles from "./bundles.js";
import * as device from "./device.js";
import * as downloads from "./downloads.js";
import * as files from "./files.js";
import * as health from "./health.js";
import * as links from "./links.js";
import * as pipelines from "./pipelines.js";
import * as plugins from "./plugins.js";
import * as portal from "./portal.js";
import * as recipients from "./recipients.js";
import * as runs from "./runs.js";
import * as stats from "./stats.js";
import * as tokens from "./tokens.js";
import * as users from "./users.js";

export const areas = {
  assignments,
  audit,
  auth,
  bundles,
  device,
  downloads,
  files,
  health,
  links,
  pipelines,
  plugins,
  portal,
  recipients,
  runs,
  stats,
  tokens,
  users,
};

type Ops<A> = { [K in keyof A as A[K] extends { operationId: string } ? K : never]: A[K] };
type All = Ops<typeof assignments> &
  Ops<typeof audit> &
  Ops<typeof auth> &
  Ops<typeof bundles> &
  Ops<typeof device> &
  Ops<typeof downloads> &
  Ops<typeof files> &
  Ops<typeof health> &
  Ops<typeof links> &
  Ops<typeof pipelines> &
  Ops<typeof plugins> &
  Ops<typeof portal> &
  Ops<typeof recipients> &
  Ops<typeof runs> &
  Ops<typeof stats> &
  Ops<typeof tokens> &
  Ops<typeof users>;

function collect(): All {
  const out: Record<string, unknown> = {};
  for (const area of Object.values(areas)) {
    for (const [name, value] of Object.entries(area)) {
      if (typeof value === "object" && value !== null && "operationId" in value) {
        if ((value as { operationId: string }).operationId !== name) {
          throw new Error(`operation export ${name} must be named after its operationId`);
        }
        if (name in out) throw new Error(`duplicate operationId ${name}`);
        out[name] = value;
      }
    }
  }
  return out as All;
}

export const operations = collect();
