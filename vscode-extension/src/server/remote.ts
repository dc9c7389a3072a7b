// The optional connection to a Latchflow server: its capabilities (built-in and installed plugins') for
// validation and completion, and a resolver that checks bundles, recipients and plugin secrets, through the
// typed client.
import { type Client, createClient } from "@latchflow/api/client";
import { capabilityCatalogs } from "@latchflow/api/pipeline-plan";
import { Scope } from "@latchflow/api/scopes";
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
  /** installed but disabled on the server: naming one is `capability_disabled`, not an unknown capability */
  disabled: CapabilityCatalog;
  resolver: ReferenceResolver;
  /** Why plugin secrets are not checked (the token may not list them); undefined when they are. */
  secretsUncheckedReason?: string;
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
  const [{ items }, me] = await Promise.all([api.listCapabilities(), api.getMe()]);
  const catalogs = capabilityCatalogs(items);
  const capabilities: CapabilityCatalog = Object.freeze(catalogs.capabilities);
  const disabled: CapabilityCatalog = Object.freeze(catalogs.disabled);
  const pluginOf = new Map(items.map((c) => [c.uses, c.plugin]));
  const secrets = me.scopes.includes(Scope.PluginsAdmin);
  return {
    url: settings.url,
    capabilities,
    disabled,
    resolver: cachedResolver(api, secrets ? pluginOf : undefined),
    ...(secrets
      ? {}
      : {
          secretsUncheckedReason: `listing a plugin's secrets needs ${Scope.PluginsAdmin}, which this token lacks`,
        }),
    directory: cachedDirectory(api),
  };
}

function cachedDirectory(api: Client): () => Promise<Directory> {
  const directory = cache<Directory>();
  return () => directory("", () => fetchDirectory(api));
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

/** Answers reused for {@link CACHE_MS}; a failed answer is asked again next time. */
function cache<T>(): (key: string, ask: () => Promise<T>) => Promise<T> {
  const answers = new Map<string, { at: number; value: Promise<T> }>();
  return (key, ask) => {
    const hit = answers.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
    const value = ask();
    value.catch(() => answers.delete(key));
    answers.set(key, { at: Date.now(), value });
    return value;
  };
}

/** Checks bundles and recipients; with the plugin of each `uses`, also plugin secrets. */
function cachedResolver(api: Client, pluginOf?: ReadonlyMap<string, string>): ReferenceResolver {
  const bundles = cache<Set<string>>();
  const recipients = cache<boolean>();
  const secrets = cache<Set<string>>();
  const resolver: ReferenceResolver = {
    async bundleExists(name) {
      return (await bundles("", () => bundleNames(api))).has(name);
    },
    recipientExists(emailOrId) {
      return recipients(emailOrId, () =>
        api
          .listRecipients({ query: { q: emailOrId } })
          .then(({ items }) =>
            items.some((r) => r.id === emailOrId || r.email.toLowerCase() === emailOrId.toLowerCase()),
          ),
      );
    },
  };
  if (pluginOf) {
    resolver.secretExists = async (uses, name) => {
      const plugin = pluginOf.get(uses);
      if (!plugin) throw new Error(`no plugin serves ${uses}`);
      const names = await secrets(plugin, () =>
        api
          .listPluginSecrets({ params: { name: plugin } })
          .then(({ items }) => new Set(items.map((s) => s.name))),
      );
      return names.has(name);
    };
  }
  return resolver;
}

async function bundleNames(api: Client): Promise<Set<string>> {
  const bundles = await pages((cursor) => api.listBundles({ query: cursor === undefined ? {} : { cursor } }));
  return new Set(bundles.map((b) => b.name));
}
