// Every REST operation, keyed by operationId: the typed client's methods and the OpenAPI document come from here.
// One file per area; each exports its operations (and the schemas other areas or clients reuse).
import * as assignments from "./assignments.js";
import * as bundles from "./bundles.js";
import * as downloads from "./downloads.js";
import * as files from "./files.js";
import * as links from "./links.js";
import * as portal from "./portal.js";
import * as recipients from "./recipients.js";

export const areas = { bundles, files, assignments, links, downloads, recipients, portal };

type Ops<A> = { [K in keyof A as A[K] extends { operationId: string } ? K : never]: A[K] };
type All = Ops<typeof bundles> &
  Ops<typeof files> &
  Ops<typeof assignments> &
  Ops<typeof links> &
  Ops<typeof downloads> &
  Ops<typeof recipients> &
  Ops<typeof portal>;

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
