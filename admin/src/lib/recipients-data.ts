import type { schemas } from "@latchflow/api";
import { isApiError } from "@latchflow/api/client";
import { Scope } from "@latchflow/api/scopes";
import { api } from "./api.js";
import { genericMessage } from "./errors.js";
import { exportFileName, type ImportFormat } from "./recipients.js";
import { toast } from "./toasts.svelte.js";

type Recipient = schemas.Recipient;

/**
 * Every recipient the user may read: all pages of the list (the table sorts and pages them itself, ADR 027), or,
 * for a user granted some recipients one by one, each of those.
 */
export async function readableRecipients(me: schemas.Me): Promise<Recipient[]> {
  const granted = me.effective[Scope.RecipientsRead];
  if (granted === undefined || granted === "none") return [];
  if (granted !== "all") {
    const found = await Promise.all(
      granted.map((id) =>
        api.getRecipient({ params: { id } }).catch((err: unknown) => {
          // a grant on a recipient deleted since
          if (isApiError(err) && err.status === 404) return undefined;
          throw err;
        }),
      ),
    );
    return found.filter((r): r is Recipient => r !== undefined);
  }
  const all: Recipient[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.listRecipients({ query: { limit: 200, ...(cursor ? { cursor } : {}) } });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

/** Downloads the export (through the typed client: the session cookie) as a file the browser saves. */
export async function downloadExport(format: ImportFormat): Promise<void> {
  const answer = await api.exportRecipients({ query: { format } });
  const blob =
    answer instanceof Response
      ? await answer.blob()
      : new Blob([`${JSON.stringify(answer, null, 2)}\n`], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = exportFileName(format, new Date());
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Enables or disables the recipient, saying so (or why not) in a toast; whether it changed. */
export async function switchRecipient(r: Recipient): Promise<boolean> {
  try {
    const changed = await api.updateRecipient({ params: { id: r.id }, body: { enabled: !r.enabled } });
    toast(`${changed.email} is ${changed.enabled ? "enabled" : "disabled"}.`);
    return true;
  } catch (err) {
    toast(genericMessage(err), "error");
    return false;
  }
}
