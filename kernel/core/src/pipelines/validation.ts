import type { authV1, bundlesV1, pipelinesV1 } from "@latchflow/proto";
import type { GrpcClient, RequestContext } from "@latchflow/runtime";
import {
  type CapabilityCatalog,
  type Diagnostic,
  type ReferenceResolver,
  validatePipeline,
} from "@latchflow/spec";
import { bundleNames, findRecipient } from "../lookups.js";

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
  let names: Promise<Set<string>> | undefined;
  return {
    async bundleExists(name) {
      names ??= bundleNames(clients.bundles, ctx);
      return (await names).has(name);
    },
    async recipientExists(emailOrId) {
      return (await findRecipient(clients.auth, ctx, emailOrId)) !== undefined;
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
