// The optional connection to a Latchflow server: its capabilities (built-in and installed plugins') for
// validation and completion, and a resolver that checks bundles and recipients, through the typed client.
import { type Client, createClient } from "@latchflow/api/client";
import type { CapabilityCatalog, ReferenceResolver } from "@latchflow/spec";

/** Where the server is: from initializationOptions or the `latchflow.server` settings. */
export interface ServerSettings {
  url?: string;
  token?: string;
}

/** A connected server: the catalog it reported and a resolver (answers cached for a few seconds). */
export interface Remote {
  url: string;
  capabilities: CapabilityCatalog;
  resolver: ReferenceResolver;
}

/** How long the resolver's answers are reused across revalidations (typing should not flood the server). */
const CACHE_MS = 10_000;

/** Connects when both url and token are set; throws what the server answered (or why it could not be reached). */
export async function connect(
  settings: ServerSettings,
  fetchImpl?: typeof fetch,
): Promise<Remote | undefined> {
  if (!settings.url || !settings.token) return undefined;
  const api = createClient({
    baseUrl: settings.url.replace(/\/+$/, ""),
    token: settings.token,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  const { items } = await api.listCapabilities();
  const capabilities: CapabilityCatalog = Object.freeze(
    Object.fromEntries(
      items.map((c) => [
        c.uses,
        { kind: c.kind, configSchema: c.configSchema, outputsSchema: c.outputsSchema, docs: c.docs },
      ]),
    ),
  );
  return { url: settings.url, capabilities, resolver: cachedResolver(api) };
}

function cachedResolver(api: Client): ReferenceResolver {
  let bundles: { at: number; names: Promise<Set<string>> } | undefined;
  const recipients = new Map<string, { at: number; exists: Promise<boolean> }>();
  const fresh = (at: number) => Date.now() - at < CACHE_MS;
  return {
    bundleExists(name) {
      if (!bundles || !fresh(bundles.at)) {
        const names = bundleNames(api);
        names.catch(() => {
          bundles = undefined;
        });
        bundles = { at: Date.now(), names };
      }
      return bundles.names.then((n) => n.has(name));
    },
    recipientExists(emailOrId) {
      const hit = recipients.get(emailOrId);
      if (hit && fresh(hit.at)) return hit.exists;
      const exists = api
        .listRecipients({ query: { q: emailOrId } })
        .then(({ items }) =>
          items.some((r) => r.id === emailOrId || r.email.toLowerCase() === emailOrId.toLowerCase()),
        );
      exists.catch(() => recipients.delete(emailOrId));
      recipients.set(emailOrId, { at: Date.now(), exists });
      return exists;
    },
  };
}

async function bundleNames(api: Client): Promise<Set<string>> {
  const names = new Set<string>();
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await api.listBundles({ query: cursor === undefined ? {} : { cursor } });
    for (const b of page.items) names.add(b.name);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return names;
}
