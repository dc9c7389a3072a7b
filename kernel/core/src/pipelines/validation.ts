import type { authV1, bundlesV1, pipelinesV1 } from "@latchflow/proto";
import { ErrorCode, type GrpcClient, LatchflowError, type RequestContext } from "@latchflow/runtime";
import {
  type CapabilityCatalog,
  type Diagnostic,
  type PipelineDocument,
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

export async function validate(
  source: string,
  catalog: CapabilityCatalog,
  resolver: ReferenceResolver,
  disabled?: CapabilityCatalog,
) {
  return validatePipeline(source, { capabilities: catalog, resolver, ...(disabled ? { disabled } : {}) });
}

/** A capability a pipeline uses that it cannot run: not installed, or installed but disabled. */
export interface UnavailableCapability {
  uses: string;
  state: "not_installed" | "disabled";
}

/** The capabilities `doc` uses that are not in `catalog` (the enabled ones), each once, in document order. */
export function unavailableCapabilities(
  doc: PipelineDocument,
  catalog: CapabilityCatalog,
  disabled: CapabilityCatalog,
): UnavailableCapability[] {
  const out = new Map<string, UnavailableCapability>();
  for (const { uses } of [...doc.spec.triggers, ...doc.spec.steps]) {
    if (Object.hasOwn(catalog, uses) || out.has(uses)) continue;
    out.set(uses, { uses, state: Object.hasOwn(disabled, uses) ? "disabled" : "not_installed" });
  }
  return [...out.values()];
}

/** 409 `capability_unavailable`, naming each capability (and, from a validation, where it is used). */
export function capabilityUnavailable(
  unavailable: UnavailableCapability[],
  diagnostics?: pipelinesV1.Diagnostic[],
): LatchflowError {
  const list = unavailable.map((u) => `${u.uses} (${u.state === "disabled" ? "disabled" : "not installed"})`);
  return new LatchflowError(
    ErrorCode.CapabilityUnavailable,
    `The pipeline uses capabilities that are not available: ${list.join(", ")}; install or enable them first`,
    { details: { capabilities: unavailable, ...(diagnostics ? { diagnostics } : {}) } },
  );
}
