import type { authV1, bundlesV1 } from "@latchflow/proto";
import type { RequestContext } from "@latchflow/runtime";
import type { AuthClient, BundlesClient } from "./pipelines/validation.js";

/**
 * Pipelines name bundles and recipients the way admins write them (bundle name, recipient email); the services
 * own them by id. These are the kernel's only two lookups, shared by validation and by the actions that run.
 */

/** Pages through the tenant's bundles; `stop` ends the walk early with that bundle. */
async function walkBundles(
  bundles: BundlesClient,
  ctx: RequestContext,
  visit: (b: bundlesV1.Bundle) => boolean,
): Promise<bundlesV1.Bundle | undefined> {
  let cursor = "";
  do {
    const page = await bundles.listBundles({ page: { cursor, limit: 200 }, ids: [], restricted: false }, ctx);
    const hit = page.bundles.find(visit);
    if (hit) return hit;
    cursor = page.page?.nextCursor ?? "";
  } while (cursor);
  return undefined;
}

export async function bundleNames(bundles: BundlesClient, ctx: RequestContext): Promise<Set<string>> {
  const names = new Set<string>();
  await walkBundles(bundles, ctx, (b) => {
    names.add(b.name);
    return false;
  });
  return names;
}

export function findBundleByName(
  bundles: BundlesClient,
  ctx: RequestContext,
  name: string,
): Promise<bundlesV1.Bundle | undefined> {
  return walkBundles(bundles, ctx, (b) => b.name === name);
}

/** A recipient by email (case-insensitive) or id. */
export async function findRecipient(
  auth: AuthClient,
  ctx: RequestContext,
  emailOrId: string,
): Promise<authV1.Recipient | undefined> {
  const q = emailOrId.trim().toLowerCase();
  const res = await auth.listRecipients({ query: q, page: { cursor: "", limit: 200 } }, ctx);
  return res.recipients.find((r) => r.email === q || r.id === emailOrId);
}
