import type { authV1, bundlesV1, pipelinesV1 } from "@latchflow/proto";
import type { GrpcClient, RequestContext } from "@latchflow/runtime";
import {
  type CapabilityCatalog,
  type Diagnostic,
  type ReferenceResolver,
  validatePipeline,
} from "@latchflow/spec";

export type BundlesClient = GrpcClient<
  typeof bundlesV1.BundlesServiceService,
  bundlesV1.BundlesServiceClient
>;
export type AuthClient = GrpcClient<typeof authV1.AuthServiceService, authV1.AuthServiceClient>;

/** Checks references against the services that own them (bundles by name, recipients by email or id). */
export function serviceResolver(
  clients: { bundles: BundlesClient; auth: AuthClient },
  ctx: RequestContext,
): ReferenceResolver {
  let bundleNames: Promise<Set<string>> | undefined;
  const loadBundleNames = async () => {
    const names = new Set<string>();
    let cursor = "";
    do {
      const page = await clients.bundles.listBundles(
        { page: { cursor, limit: 200 }, ids: [], restricted: false },
        ctx,
      );
      for (const b of page.bundles) names.add(b.name);
      cursor = page.page?.nextCursor ?? "";
    } while (cursor);
    return names;
  };
  return {
    async bundleExists(name) {
      bundleNames ??= loadBundleNames();
      return (await bundleNames).has(name);
    },
    async recipientExists(emailOrId) {
      const q = emailOrId.trim().toLowerCase();
      const res = await clients.auth.listRecipients({ query: q, page: { cursor: "", limit: 200 } }, ctx);
      return res.recipients.some((r) => r.email === q || r.id === emailOrId);
    },
  };
}

export function diagnosticToProto(d: Diagnostic): pipelinesV1.Diagnostic {
  return {
    code: d.code,
    message: d.message,
    severity: d.severity,
    startLine: d.range.start.line,
    startColumn: d.range.start.column,
    endLine: d.range.end.line,
    endColumn: d.range.end.column,
    path: d.path,
    suggestion: d.suggestion ?? "",
  };
}

export async function validate(source: string, catalog: CapabilityCatalog, resolver: ReferenceResolver) {
  return validatePipeline(source, { capabilities: catalog, resolver });
}
