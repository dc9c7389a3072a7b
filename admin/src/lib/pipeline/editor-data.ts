// What the pipeline editor needs from the server besides the pipeline: the installed capabilities (with their
// config schemas) and the bundles and recipients its pickers offer (only those the user may list).
import type { schemas } from "@latchflow/api";
import { Scope } from "@latchflow/api/scopes";
import { can } from "../access.js";
import { api } from "../api.js";
import { requireSession } from "../session.js";
import type { PickerChoice } from "./builder.js";

/** How many recipients the picker loads up front (typing still accepts any address). */
const RECIPIENTS_SHOWN = 200;

export interface EditorData {
  capabilities: schemas.Capability[];
  bundles: PickerChoice[];
  recipients: PickerChoice[];
}

export async function loadEditorData(me: schemas.Me, url: URL): Promise<EditorData> {
  const [capabilities, bundles, recipients] = await requireSession(url, () =>
    Promise.all([
      api.listCapabilities().then((r) => r.items),
      can(me, Scope.BundlesRead) ? allBundles() : Promise.resolve([]),
      can(me, Scope.RecipientsRead)
        ? api.listRecipients({ query: { limit: RECIPIENTS_SHOWN } }).then((r) => r.items)
        : Promise.resolve([]),
    ]),
  );
  return {
    capabilities,
    bundles: bundles.map((b) => ({
      value: b.name,
      label: b.name,
      ...(b.enabled ? {} : { detail: "disabled" }),
    })),
    recipients: recipients.map((r) => ({
      value: r.email,
      label: r.email,
      ...(r.name ? { detail: r.name } : {}),
    })),
  };
}

async function allBundles(): Promise<schemas.Bundle[]> {
  const out: schemas.Bundle[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.listBundles({ query: { limit: 200, ...(cursor ? { cursor } : {}) } });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}
