// The optional connection to a Latchflow server: its capabilities (built-in and installed plugins') for
// validation and completion, and a resolver that checks bundles and recipients, through the typed client.
import { type Client, createClient } from "@latchflow/api/client";
import type { CapabilityCatalog, ReferenceResolver } from "@latchflow/spec";
import type { Directory } from "../language/index.js";

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
  /** The server's bundles and recipients, for completion and hover (cached like the resolver's answers). */
  directory(): Promise<Directory>;
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
  return { url: settings.url, capabilities, resolver: cachedResolver(api), directory: cachedDirectory(api) };
}

function cachedDirectory(api: Client): () => Promise<Directory> {
  let cached: { at: number; directory: Promise<Directory> } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at >= CACHE_MS) {
      const directory = fetchDirectory(api);
      directory.catch(() => {
        cached = undefined;
      });
      cached = { at: Date.now(), directory };
    }
    return cached.directory;
  };
}

async function fetchDirectory(api: Client): Promise<Directory> {
  const [bundles, recipients] = await Promise.all([
    pages((cursor) => api.listBundles({ query: cursor === undefined ? {} : { cursor } })),
    pages((cursor) => api.listRecipients({ query: cursor === undefined ? {} : { cursor } })),
  ]);
  return {
    bundles: bundles.map(({ id, name, description, enabled }) => ({ id, name, description, enabled })),
    recipients: recipients.map(({ id, email, name, enabled }) => ({ id, email, name, enabled })),
  };
}

/** Every item of a paged list (at most 100 pages). */
async function pages<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string | null | undefined }>,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 100; n++) {
    const p = await page(cursor);
    out.push(...p.items);
    if (!p.nextCursor) break;
    cursor = p.nextCursor;
  }
  return out;
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
